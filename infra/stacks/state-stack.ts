import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StateTable } from '../constructs/state-table.ts';

export interface StateStackProps extends StackProps {
  tableName: string;
  /** Every region of every pair: each gets a replica. */
  regions: readonly string[];
}

/**
 * Lifeboat's state: the global table, deployed from one region with a replica in every other.
 * Deployed first; the region stacks find their replica by the table's name.
 */
export class StateStack extends Stack {
  readonly state: StateTable;

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id, props);
    this.state = new StateTable(this, 'State', {
      tableName: props.tableName,
      regions: props.regions,
    });
  }
}
