import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';

const EVENTUAL = 'state';
const STRONG = 'locks';
const DELAY_MS = 1_000;

let aws: LocalAws;
const clients = new Map<string, DynamoDBDocumentClient>();

/** A region's client, as that region's Lambdas hold it: signed for its own region. */
function documentsIn(region: string): DynamoDBDocumentClient {
  let documents = clients.get(region);
  if (!documents) {
    documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region,
        endpoint: aws.endpoints.dynamodb,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        maxAttempts: 1,
      }),
    );
    clients.set(region, documents);
  }
  return documents;
}

async function createTable(region: string, table: string): Promise<void> {
  await documentsIn(region).send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    }),
  );
}

const read = async (region: string, table: string, pk: string) =>
  (
    await documentsIn(region).send(
      new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }),
    )
  ).Item;

/** The lock as the state store takes it: only if nobody holds it (or the same run does). */
const takeLock = (region: string, table: string, run: string) =>
  documentsIn(region).send(
    new PutCommand({
      TableName: table,
      Item: { pk: 'CUSTOMER#bcbsaz', run, at: aws.clock.now() },
      ConditionExpression: 'attribute_not_exists(pk) OR run = :me',
      ExpressionAttributeValues: { ':me': run },
    }),
  );

/** Moves virtual time on and lets due replication arrive (the next call would deliver it too). */
async function pass(ms: number): Promise<void> {
  aws.clock.advance(ms);
  await aws.globalTables?.settle();
}

beforeEach(async () => {
  aws = await startLocalAws({
    plans: [],
    speed: 0,
    iam: false,
    globalTables: { strongTables: [STRONG], replicationDelayMs: DELAY_MS },
  });
  clients.clear();
  await createTable('us-east-1', EVENTUAL);
  await createTable('us-east-1', STRONG);
});
afterEach(() => aws.stop());

describe('an eventually consistent global table', () => {
  it('shows a write in its own region at once and in the others after the replication delay', async () => {
    // Act
    await documentsIn('us-east-1').send(
      new PutCommand({ TableName: EVENTUAL, Item: { pk: 'a', v: 1 } }),
    );
    // Assess
    expect(await read('us-east-1', EVENTUAL, 'a')).toEqual({ pk: 'a', v: 1 });
    expect(await read('us-west-2', EVENTUAL, 'a')).toBeUndefined();
    await pass(DELAY_MS - 1);
    expect(await read('us-west-2', EVENTUAL, 'a')).toBeUndefined();
    await pass(1);
    expect(await read('us-west-2', EVENTUAL, 'a')).toEqual({ pk: 'a', v: 1 });
    expect(await read('us-west-1', EVENTUAL, 'a')).toEqual({ pk: 'a', v: 1 });
  });

  it('holds replication across a partition and delivers it when it heals; the later write wins', async () => {
    // Prepare
    aws.addFault('partition:us-east-1|us-west-2');
    // Act: the same item written on both sides, us-west-2 last
    await documentsIn('us-east-1').send(
      new PutCommand({ TableName: EVENTUAL, Item: { pk: 'a', v: 'east' } }),
    );
    await pass(10);
    await documentsIn('us-west-2').send(
      new PutCommand({ TableName: EVENTUAL, Item: { pk: 'a', v: 'west' } }),
    );
    await pass(DELAY_MS * 60);
    // Assess: us-east-2 heard both and kept the later; the two sides still disagree
    expect(await read('us-east-2', EVENTUAL, 'a')).toEqual({ pk: 'a', v: 'west' });
    expect(await read('us-east-1', EVENTUAL, 'a')).toEqual({ pk: 'a', v: 'east' });
    expect(await read('us-west-2', EVENTUAL, 'a')).toEqual({ pk: 'a', v: 'west' });
    expect(aws.globalTables?.pendingReplication).toBe(2);
    aws.faults.remove('partition:us-east-1|us-west-2');
    await pass(0);
    for (const region of ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'])
      expect(await read(region, EVENTUAL, 'a')).toEqual({ pk: 'a', v: 'west' });
  });

  it('is no mutex: two regions cut apart both take the same lock', async () => {
    // Prepare
    aws.addFault('partition:us-east-1|us-west-2');
    // Act
    const taken = await Promise.allSettled([
      takeLock('us-east-1', EVENTUAL, 'run-east'),
      takeLock('us-west-2', EVENTUAL, 'run-west'),
    ]);
    // Assess
    expect(taken.map((t) => t.status)).toEqual(['fulfilled', 'fulfilled']);
  });

  it('brings a released lock back when a cut-off region writes it and heals', async () => {
    // Prepare: run-a takes the lock everywhere, then us-west-2 is cut off from the rest
    await takeLock('us-east-1', EVENTUAL, 'run-a');
    await pass(DELAY_MS);
    aws.addFault('partition:us-east-1|us-west-2');
    aws.addFault('partition:us-east-2|us-west-2');
    // Act: released in us-east-1; us-west-2, still seeing it held, renews it
    await documentsIn('us-east-1').send(
      new DeleteCommand({ TableName: EVENTUAL, Key: { pk: 'CUSTOMER#bcbsaz' } }),
    );
    await pass(10);
    await takeLock('us-west-2', EVENTUAL, 'run-a');
    aws.faults.remove('partition:us-east-1|us-west-2');
    aws.faults.remove('partition:us-east-2|us-west-2');
    await pass(DELAY_MS);
    // Assess: the renewal was the later write: the lock is back in every region
    expect(await read('us-east-1', EVENTUAL, 'CUSTOMER#bcbsaz')).toMatchObject({ run: 'run-a' });
  });
});

describe('a strongly consistent (MRSC) table', () => {
  it('puts the conditional writes of every region in one order, across a partition', async () => {
    // Prepare: us-east-1 and us-west-2 each still reach us-east-2, a majority
    aws.addFault('partition:us-east-1|us-west-2');
    // Act
    const taken = await Promise.allSettled([
      takeLock('us-east-1', STRONG, 'run-east'),
      takeLock('us-west-2', STRONG, 'run-west'),
    ]);
    // Assess
    const lost = taken.filter((t) => t.status === 'rejected');
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(
      ConditionalCheckFailedException,
    );
    const holder = await read('us-west-2', STRONG, 'CUSTOMER#bcbsaz');
    expect(await read('us-east-1', STRONG, 'CUSTOMER#bcbsaz')).toEqual(holder);
  });

  it('refuses a caller whose region reaches no majority, and serves it again once healed', async () => {
    // Prepare
    aws.addFault('partition:us-east-1|us-west-2');
    aws.addFault('partition:us-east-2|us-west-2');
    // Act
    const refused = await takeLock('us-west-2', STRONG, 'run-west').catch((e: unknown) => e);
    const read_ = await read('us-west-2', STRONG, 'x').catch((e: unknown) => e);
    // Assess
    expect(refused).toMatchObject({
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500 },
    });
    expect((refused as Error).message).toContain('cannot reach a majority');
    expect(read_).toMatchObject({ name: 'InternalServerError' });
    const eventual = await documentsIn('us-west-2').send(
      new GetCommand({ TableName: STRONG, Key: { pk: 'x' } }),
    );
    expect(eventual.Item).toBeUndefined();
    await takeLock('us-east-1', STRONG, 'run-east');
    aws.faults.remove('partition:us-east-2|us-west-2');
    expect(await read('us-west-2', STRONG, 'CUSTOMER#bcbsaz')).toMatchObject({ run: 'run-east' });
  });

  it('has no replica in us-west-1: its Lambdas use us-west-2', async () => {
    const answer = await read('us-west-1', STRONG, 'x').catch((e: unknown) => e);
    expect(answer).toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers nothing from a region that is down', async () => {
    aws.addFault('region-down:us-east-1');
    await expect(read('us-east-1', STRONG, 'x')).rejects.toThrow();
    expect(await read('us-east-2', STRONG, 'x')).toBeUndefined();
  });
});
