import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AUDIT_PARTITION_PREFIX } from '../../orchestrator/adapters/dynamodb-state-store.ts';
import { InvalidPropsError } from '../errors.ts';

export interface StateTableProps {
  /** The table's name, the same in every region (functions find their replica by it). */
  tableName: string;
  /** Every region the table serves; the stack's own region holds the first copy. */
  regions: readonly string[];
}

/**
 * Lifeboat's one table (plans' runs, requests, approvals, locks, executions, journal, gates),
 * as a DynamoDB global table with a replica in every region a run or the bot may use, so a lost
 * region loses no state. Keys as the state store writes them (`pk`, `sk`); on-demand;
 * encrypted with the AWS-managed key; point-in-time recovery and deletion protection on; kept
 * when the stack goes.
 *
 * Conditional writes (locks, two clicks giving one decision) are atomic within a region only:
 * writers of one run are in its region, and the bot answers from one region at a time.
 */
export class StateTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    const home = Stack.of(this).region;
    if (!props.regions.includes(home))
      throw new InvalidPropsError(
        'StateTable',
        `the stack's region "${home}" is not among regions ${JSON.stringify(props.regions)}; deploy the table in one of the regions it serves.`,
      );
    if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(props.tableName))
      throw new InvalidPropsError(
        'StateTable',
        `tableName "${props.tableName}" is not a valid name.`,
      );
    this.table = new TableV2(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: RemovalPolicy.RETAIN,
      replicas: props.regions.filter((r) => r !== home).map((region) => ({ region })),
    });
  }
}

/**
 * Keeps a role that writes the state table off the audit entries (their partitions,
 * `AUDIT#<customer>`), by `dynamodb:LeadingKeys`: `append` lets it add entries (the bot's
 * ingress, which records who asked what), never change or delete one; otherwise it writes none.
 * A Deny, so no other grant of the role can undo it.
 */
export function guardAuditEntries(
  role: IRole,
  tableArn: string,
  options: { append: boolean },
): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      effect: Effect.DENY,
      actions: [
        ...(options.append ? [] : ['dynamodb:PutItem']),
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ],
      resources: [tableArn],
      conditions: {
        'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${AUDIT_PARTITION_PREFIX}*`] },
      },
    }),
  );
}
