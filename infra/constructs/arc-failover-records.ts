import { CfnHealthCheck, CfnRecordSet } from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { Side } from '../../orchestrator/domain/plan.ts';
import { failoverRecordOf } from '../../orchestrator/domain/routing.ts';
import type { CustomerDns } from '../config/customer-accounts.ts';

const SIDES = ['primary', 'recovery'] as const satisfies readonly Side[];

export interface ArcFailoverRecordsProps {
  /** The plan's DNS: its zones, and its records (only `failover` ones get record sets). */
  dns: CustomerDns;
  /** Each side's routing control ARN (a template parameter). */
  routingControlArns: Record<Side, string>;
}

/**
 * A customer's DNS on ARC: a RECOVERY_CONTROL health check per routing control (healthy while
 * the control is On), and per plan record in `failover` mode, in each of the plan's zones, a
 * PRIMARY record set with the primary value tied to the primary side's check and a SECONDARY
 * one with the recovery value tied to the recovery side's. Route 53 answers from these on its
 * data plane; flipping a routing control moves the answer without a record change. Records in
 * `change` mode are the orchestrator's to rewrite and get nothing here.
 */
export class ArcFailoverRecords extends Construct {
  readonly healthChecks: Record<Side, CfnHealthCheck>;
  readonly recordSets: CfnRecordSet[] = [];

  constructor(scope: Construct, id: string, props: ArcFailoverRecordsProps) {
    super(scope, id);
    const check = (side: Side) =>
      new CfnHealthCheck(this, `${side}-HealthCheck`, {
        healthCheckConfig: {
          type: 'RECOVERY_CONTROL',
          routingControlArn: props.routingControlArns[side],
        },
        healthCheckTags: [{ key: 'Name', value: `lifeboat-${side}` }],
      });
    this.healthChecks = { primary: check('primary'), recovery: check('recovery') };
    // Both sides' zones get both record sets: a resolver sees the same answer from either.
    const zones = [...new Set(SIDES.map((side) => props.dns.zones[side]))];
    for (const record of props.dns.records.filter((r) => r.mode === 'failover')) {
      for (const zone of zones) {
        for (const side of SIDES) {
          const { setIdentifier, failover } = failoverRecordOf(side);
          this.recordSets.push(
            new CfnRecordSet(this, `${record.name}-${zone}-${side}`, {
              hostedZoneId: zone,
              name: `${record.name}.`,
              type: record.type,
              ttl: String(record.ttl),
              resourceRecords: [record.values[side]],
              setIdentifier,
              failover,
              healthCheckId: this.healthChecks[side].attrHealthCheckId,
            }),
          );
        }
      }
    }
  }
}
