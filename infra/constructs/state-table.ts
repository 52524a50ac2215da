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

/**
 * What Lifeboat's tables share: keys as the state store writes them (`pk`, `sk`), on demand,
 * encrypted with the AWS-managed key, point-in-time recovery and deletion protection on, kept
 * when the stack goes; a name DynamoDB takes, or an error naming the construct.
 */
export function keptTableProps(construct: string, tableName: string) {
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(tableName))
    throw new InvalidPropsError(construct, `tableName "${tableName}" is not a valid name.`);
  return {
    tableName,
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
    billing: Billing.onDemand(),
    encryption: TableEncryptionV2.awsManagedKey(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}

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
    this.table = new TableV2(this, 'Table', {
      ...keptTableProps('StateTable', props.tableName),
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
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
