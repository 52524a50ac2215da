import { type App, Stage, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Region } from '../orchestrator/domain/regions.ts';
import type { CustomerAccount } from './config/customer-accounts.ts';
import { type DeployConfig, deployedRegions, stateRegion } from './config/deploy-config.ts';
import { CustomerDnsStack } from './stacks/customer-dns-stack.ts';
import { RegionStack } from './stacks/region-stack.ts';
import {
  ARC_CONTROL_PLANE_REGION,
  ROUTING_STACK_NAME,
  RoutingStack,
} from './stacks/routing-stack.ts';

export { ROUTING_STACK_NAME };

import { StateStack } from './stacks/state-stack.ts';
import { WorkloadRoleStack } from './stacks/workload-role-stack.ts';

export interface LifeboatStacks {
  state: StateStack;
  /** One per region of every pair. */
  regions: Map<Region, RegionStack>;
  /** The customers' template, in its own stage: `cdk deploy --all` leaves it out. */
  workloadRole: WorkloadRoleStack;
  /** The ARC cluster, its control panels and the customers' routing controls (us-west-2). */
  routing: RoutingStack;
  /** Per customer with DNS, its failover records' template, in the customers' stage; by customer id. */
  customerDns: Map<string, CustomerDnsStack>;
}

/** Stack (and CloudFormation stack) name of a region's stack. */
export const regionStackName = (region: string) => `Lifeboat-${region}`;
export const STATE_STACK_NAME = 'Lifeboat-State';
/** The stage holding the template for customers' accounts, and its stack. */
export const WORKLOAD_STAGE = 'WorkloadAccount';
export const WORKLOAD_ROLE_STACK = 'LifeboatWorkloadRole';
/** The stack (in the customers' stage) of a customer's DNS failover records. */
export const customerDnsStackName = (customerId: string) => `LifeboatDns-${customerId}`;

/**
 * Adds the whole deployment to a CDK app: the global state table, one stack per region of
 * every pair (each depends on the table), the ARC routing stack, the customers' role template
 * and DNS templates, and cdk-nag's AWS Solutions checks over all of it (a finding not
 * acknowledged fails the synth).
 */
export function composeLifeboat(
  app: App,
  config: DeployConfig,
  customers: readonly CustomerAccount[],
): LifeboatStacks {
  const regions = deployedRegions(config);
  const account = config.account;
  const state = new StateStack(app, STATE_STACK_NAME, {
    env: { account, region: stateRegion(config) },
    stackName: STATE_STACK_NAME,
    description: 'Lifeboat: the state table (DynamoDB global table, a replica in every region)',
    terminationProtection: true,
    tableName: config.state.tableName,
    regions,
    customers,
  });
  const byRegion = new Map<Region, RegionStack>();
  for (const region of regions) {
    const stack = new RegionStack(app, regionStackName(region), {
      env: { account, region },
      stackName: regionStackName(region),
      description: `Lifeboat in ${region}: runbook state machine, task Lambdas, notifier, reports, alarms`,
      terminationProtection: true,
      config,
      customers,
    });
    // The replica must exist before anything in the region uses it.
    stack.addStackDependency(state);
    byRegion.set(region, stack);
  }
  const routing = new RoutingStack(app, ROUTING_STACK_NAME, {
    env: { account, region: ARC_CONTROL_PLANE_REGION },
    stackName: ROUTING_STACK_NAME,
    description:
      "Lifeboat: the ARC cluster, a control panel per region pair, each customer's routing controls and safety rule, shared with the workload accounts",
    terminationProtection: true,
    pairs: config.pairs,
    customers,
  });
  const workloadStage = new Stage(app, WORKLOAD_STAGE);
  const workloadRole = new WorkloadRoleStack(workloadStage, WORKLOAD_ROLE_STACK, {
    lifeboatAccountId: account,
    lifeboatRegions: regions,
  });
  const customerDns = new Map<string, CustomerDnsStack>();
  for (const customer of customers.filter((c) => c.dns))
    customerDns.set(
      customer.customerId,
      new CustomerDnsStack(workloadStage, customerDnsStackName(customer.customerId), {
        customer,
        routingStackName: ROUTING_STACK_NAME,
      }),
    );
  Tags.of(app).add('project', 'lifeboat');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { state, regions: byRegion, workloadRole, routing, customerDns };
}
