import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CustomerAccount } from '../config/customer-accounts.ts';
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
 * Lifeboat's state: the global table, deployed from one region with a replica in every other.
 * Deployed first; the region stacks find their replica by the table's name.
 */
export class StateStack extends Stack {
  readonly state: StateTable;
  /** People's role for `lifeboat plan validate --live` (one per deployment: IAM names are global). */
  readonly onboarding: OnboardingRole;

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id, props);
    this.state = new StateTable(this, 'State', {
      tableName: props.tableName,
      regions: props.regions,
    });
    this.onboarding = new OnboardingRole(this, 'Onboarding', { customers: props.customers });
  }
}
