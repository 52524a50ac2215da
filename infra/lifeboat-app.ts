import { type App, Stage, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Region } from '../orchestrator/domain/regions.ts';
import type { CustomerAccount } from './config/customer-accounts.ts';
import { type DeployConfig, deployedRegions, stateRegion } from './config/deploy-config.ts';
import { RegionStack } from './stacks/region-stack.ts';
import { StateStack } from './stacks/state-stack.ts';
import { WorkloadRoleStack } from './stacks/workload-role-stack.ts';

export interface LifeboatStacks {
  state: StateStack;
  /** One per region of every pair. */
  regions: Map<Region, RegionStack>;
  /** The customers' template, in its own stage: `cdk deploy --all` leaves it out. */
  workloadRole: WorkloadRoleStack;
}

/** Stack (and CloudFormation stack) name of a region's stack. */
export const regionStackName = (region: string) => `Lifeboat-${region}`;
export const STATE_STACK_NAME = 'Lifeboat-State';
/** The stage holding the template for customers' accounts, and its stack. */
export const WORKLOAD_STAGE = 'WorkloadAccount';
export const WORKLOAD_ROLE_STACK = 'LifeboatWorkloadRole';

/**
 * Adds the whole deployment to a CDK app: the global state table, one stack per region of
 * every pair (each depends on the table), the customers' role template, and cdk-nag's AWS
 * Solutions checks over all of it (a finding not acknowledged fails the synth).
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
  const workloadRole = new WorkloadRoleStack(new Stage(app, WORKLOAD_STAGE), WORKLOAD_ROLE_STACK, {
    lifeboatAccountId: account,
  });
  Tags.of(app).add('project', 'lifeboat');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { state, regions: byRegion, workloadRole };
}
