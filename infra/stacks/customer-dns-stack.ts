import {
  CfnOutput,
  CfnParameter,
  DefaultStackSynthesizer,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Side } from '../../orchestrator/domain/plan.ts';
import type { CustomerAccount } from '../config/customer-accounts.ts';
import { ArcFailoverRecords } from '../constructs/arc-failover-records.ts';
import { InvalidPropsError } from '../errors.ts';
import { routingControlOutputId } from './routing-stack.ts';

export interface CustomerDnsStackProps extends StackProps {
  /** The customer, with its plan's DNS. */
  customer: CustomerAccount;
  /** The routing stack's CloudFormation name, for the parameters' descriptions. */
  routingStackName: string;
}

/** The template parameter carrying a side's routing control ARN. */
export const ROUTING_CONTROL_PARAMETER: Record<Side, string> = {
  primary: 'PrimaryRoutingControlArn',
  recovery: 'RecoveryRoutingControlArn',
};

/**
 * The template a customer's workload account deploys once (after the routing stack), beside
 * its hosted zones: health checks must live in the zone's account, and this way Lifeboat's
 * role there needs no Route 53 write rights for failover records. Like the role template it
 * needs no CDK bootstrap; the routing control ARNs come in as parameters, from the routing
 * stack's outputs. Redeploy it when the plan's failover records change.
 */
export class CustomerDnsStack extends Stack {
  readonly records: ArcFailoverRecords;

  constructor(scope: Construct, id: string, props: CustomerDnsStackProps) {
    const { customer } = props;
    super(scope, id, {
      ...props,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      analyticsReporting: false,
      description: `Lifeboat: ${customer.customerId}'s DNS failover records and RECOVERY_CONTROL health checks, answered by ARC routing controls (parameters from the ${props.routingStackName} stack's outputs).`,
    });
    if (!customer.dns)
      throw new InvalidPropsError(
        'CustomerDnsStack',
        `customer "${customer.customerId}" has no dns section in its plan: there is nothing to fail over.`,
      );
    const arn = (side: Side) =>
      new CfnParameter(this, ROUTING_CONTROL_PARAMETER[side], {
        type: 'String',
        allowedPattern:
          '^arn:aws:route53-recovery-control::\\d{12}:controlpanel/[A-Za-z0-9-]+/routingcontrol/[A-Za-z0-9-]+$',
        description: `The ARN of routing control ${customer.customerId}-${customer.regions[side]}: output ${routingControlOutputId(customer.customerId, side)} of the ${props.routingStackName} stack.`,
      }).valueAsString;
    this.records = new ArcFailoverRecords(this, 'Failover', {
      dns: customer.dns,
      routingControlArns: { primary: arn('primary'), recovery: arn('recovery') },
    });
    for (const side of ['primary', 'recovery'] as const)
      new CfnOutput(this, `${side}-HealthCheckId`, {
        value: this.records.healthChecks[side].attrHealthCheckId,
        description: `Healthy while routing control ${customer.customerId}-${customer.regions[side]} is On.`,
      });
  }
}
