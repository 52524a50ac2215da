import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CustomerAccount } from '../config/customer-accounts.ts';
import type { RegionPair } from '../config/deploy-config.ts';
import { ArcClusterShare } from '../constructs/arc-cluster-share.ts';
import { ArcRoutingControls } from '../constructs/arc-routing-controls.ts';
import { InvalidPropsError } from '../errors.ts';

/** The routing stack's (and its CloudFormation stack's) name. */
export const ROUTING_STACK_NAME = 'Lifeboat-Routing';
/** ARC's recovery-control configuration API (clusters, panels, controls) answers only here. */
export const ARC_CONTROL_PLANE_REGION = 'us-west-2';

export interface RoutingStackProps extends StackProps {
  /** The deployment's region pairs: a control panel each. */
  pairs: readonly RegionPair[];
  /** Every customer; those whose plans have a `dns` section get routing controls. */
  customers: readonly CustomerAccount[];
}

const alphanumeric = (name: string) => name.replace(/[^A-Za-z0-9]/g, '');

/** The output (its id is its name) naming a customer's routing control for one side. */
export const routingControlOutputId = (customerId: string, side: 'primary' | 'recovery') =>
  `${alphanumeric(customerId)}${side === 'primary' ? 'Primary' : 'Recovery'}RoutingControlArn`;

/** The output naming a control panel's ARN. */
export const controlPanelOutputId = (panelName: string) =>
  `${alphanumeric(panelName)}ControlPanelArn`;

/**
 * The ARC cluster of the deployment, in the tooling account (ARC's configuration API is in
 * us-west-2; the cluster's data plane is its five regional endpoints, us-east-1 need not be one
 * of those answering): control panels, routing controls and assertion rules for every customer
 * with DNS, and the cluster shared with their workload accounts. Its outputs are what
 * `config/deploy.yaml` (`arc:`) and the customers' DNS templates need, copied once.
 */
export class RoutingStack extends Stack {
  readonly routing: ArcRoutingControls;
  /** Absent when no customer has DNS. */
  readonly share?: ArcClusterShare;

  constructor(scope: Construct, id: string, props: RoutingStackProps) {
    super(scope, id, props);
    if (props.env?.region !== ARC_CONTROL_PLANE_REGION)
      throw new InvalidPropsError(
        'RoutingStack',
        `env.region "${props.env?.region}" must be ${ARC_CONTROL_PLANE_REGION}: ARC creates clusters, control panels and routing controls only there.`,
      );
    const withDns = props.customers.filter((c) => c.dns);
    this.routing = new ArcRoutingControls(this, 'Arc', { pairs: props.pairs, customers: withDns });
    const clusterArn = this.routing.cluster.attrClusterArn;
    const workloadAccounts = withDns.map((c) => c.accountId).filter((a) => a !== this.account);
    if (workloadAccounts.length > 0)
      this.share = new ArcClusterShare(this, 'Share', {
        clusterArn,
        accountIds: workloadAccounts,
      });

    new CfnOutput(this, 'ClusterArn', {
      value: clusterArn,
      description: 'config/deploy.yaml arc.clusterArn',
    });
    // ClusterEndpoints is a list of {Endpoint, Region} objects; an output can only be a string.
    new CfnOutput(this, 'ClusterEndpointsCommand', {
      value: `aws route53-recovery-control-config describe-cluster --region ${ARC_CONTROL_PLANE_REGION} --query "Cluster.ClusterEndpoints[].{region: Region, url: Endpoint}" --cluster-arn ${clusterArn}`,
      description: 'Prints the cluster endpoints for config/deploy.yaml arc.endpoints',
    });
    for (const [name, panel] of this.routing.controlPanels)
      new CfnOutput(this, controlPanelOutputId(name), {
        value: panel.attrControlPanelArn,
        description: `config/deploy.yaml arc.controlPanels.${name}`,
      });
    for (const customer of withDns) {
      const controls = this.routing.routingControls.get(customer.customerId);
      if (!controls) continue;
      for (const side of ['primary', 'recovery'] as const)
        new CfnOutput(this, routingControlOutputId(customer.customerId, side), {
          value: controls[side].attrRoutingControlArn,
          description: `${controls[side].name}: ${customer.customerId}'s DNS template parameter ${side === 'primary' ? 'Primary' : 'Recovery'}RoutingControlArn`,
        });
    }
  }
}
