import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError } from '../domain/errors.ts';

const bucketItemKey = (key: string) => ({ pk: `SLACK#BUDGET#${key}`, sk: 'BUCKET' });

/**
 * The Slack write budget's buckets in the state table (the notifier's `SlackBudgetStore`): one
 * item per bucket (`SLACK#BUDGET#chat.update#workspace`, `SLACK#BUDGET#chat.postMessage#<channel>`),
 * its document in `doc` beside a `version` every write compares and increments, as the DRS
 * budgets do: every notifier invocation decides on the same bucket. The documents are the
 * budget's own; the store neither reads nor checks them.
 */
export class DynamoDbSlackBudgetStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async getBucket(key: string): Promise<{ doc: unknown; version: number } | undefined> {
    const out = await this.documents.send(
      new GetCommand({ TableName: this.table, Key: bucketItemKey(key), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    return { doc: out.Item.doc, version: Number(out.Item.version) };
  }

  async putBucket(key: string, doc: unknown, expectedVersion: number): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...bucketItemKey(key), doc, version: expectedVersion + 1 },
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :v',
                ExpressionAttributeValues: { ':v': expectedVersion },
              }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`The Slack write budget ${key}`);
      throw error;
    }
  }
}

/** The budget store of one environment's state table, on a client of its own region. */
export function slackBudgetStoreFor(env: {
  AWS_REGION: string;
  STATE_TABLE: string;
}): DynamoDbSlackBudgetStore {
  return new DynamoDbSlackBudgetStore(
    new DynamoDBClient({ region: env.AWS_REGION, maxAttempts: 3 }),
    env.STATE_TABLE,
  );
}
