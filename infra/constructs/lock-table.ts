import { Stack } from 'aws-cdk-lib';
import { MultiRegionConsistency, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { STRONG_CONSISTENCY_REGIONS } from '../../orchestrator/domain/strong-replicas.ts';
import { InvalidPropsError } from '../errors.ts';
import { keptTableProps } from './state-table.ts';

export interface LockTableProps {
  /** The table's name, the same in its three regions (functions reach it as LOCK_TABLE). */
  tableName: string;
}

/** The lock table's name beside the state table's: one name to configure, in one place. */
export function lockTableName(stateTableName: string): string {
  return `${stateTableName}-locks`;
}

/**
 * The customers' locks, the gates and the DRS admission leases, in a DynamoDB global table with
 * multi-Region strong consistency (MRSC): a replica in each of us-east-1, us-east-2 and
 * us-west-2, whose conditional writes are checked across the three. Two operators whose requests
 * land in two regions cannot both take a customer's lock, and two approvers clicking in two
 * regions give one decision. A replica that cannot reach a majority refuses rather than answer
 * from a stale view. Keys as the state store writes them (`pk`, `sk`); on demand; encrypted;
 * point-in-time recovery and deletion protection on; kept when the stack goes. No streams,
 * TTL or transactions: MRSC has none, and the store needs none.
 */
export class LockTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: LockTableProps) {
    super(scope, id);
    const home = Stack.of(this).region;
    const set: readonly string[] = STRONG_CONSISTENCY_REGIONS;
    if (!set.includes(home))
      throw new InvalidPropsError(
        'LockTable',
        `the stack's region "${home}" is not one of the strongly consistent set (${set.join(', ')}); deploy the lock table from one of them.`,
      );
    this.table = new TableV2(this, 'Table', {
      ...keptTableProps('LockTable', props.tableName),
      multiRegionConsistency: MultiRegionConsistency.STRONG,
      replicas: set.filter((r) => r !== home).map((region) => ({ region })),
    });
  }
}
