import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CustomerAccount } from '../config/customer-accounts.ts';
import { LockTable, lockTableName } from '../constructs/lock-table.ts';
import { OnboardingRole } from '../constructs/onboarding-role.ts';
import { StateTable } from '../constructs/state-table.ts';

export interface StateStackProps extends StackProps {
  tableName: string;
  /** Every region of every pair: each gets a replica. */
  regions: readonly string[];
  /** The customers' accounts: the onboarding role may read them through their read-only roles. */
  customers: readonly CustomerAccount[];
}

/**
 * Lifeboat's state: the global table, deployed from one region with a replica in every other,
 * and beside it the strongly consistent lock table (locks, gates, leases) in the three regions
 * of the US set. Deployed first; the region stacks find their replicas by the tables' names.
 */
export class StateStack extends Stack {
  readonly state: StateTable;
  readonly locks: LockTable;
  /** People's role for `lifeboat plan validate --live` (one per deployment: IAM names are global). */
  readonly onboarding: OnboardingRole;

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id, props);
    this.state = new StateTable(this, 'State', {
      tableName: props.tableName,
      regions: props.regions,
    });
    this.locks = new LockTable(this, 'Locks', { tableName: lockTableName(props.tableName) });
    this.onboarding = new OnboardingRole(this, 'Onboarding', { customers: props.customers });
  }
}
