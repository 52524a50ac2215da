import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedSlackBudget } from '../../../bot/notifier/shared-slack-budget.ts';
import { SLACK_LIMITS } from '../../../bot/notifier/slack-budget.ts';
import { DynamoDbSlackBudgetStore } from '../../../orchestrator/adapters/dynamodb-slack-budget-store.ts';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import { ConcurrentUpdateError } from '../../../orchestrator/domain/errors.ts';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const TABLE = 'lifeboat-slack-budget-test';

let aws: LocalAws;
let store: DynamoDbSlackBudgetStore;
beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
  const client = new DynamoDBClient({
    region: 'us-east-2',
    endpoint: aws.endpoints.dynamodb,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  await new DynamoDbStateStore(client, TABLE).ensureTable();
  store = new DynamoDbSlackBudgetStore(client, TABLE);
});
afterAll(() => aws.stop());

describe('DynamoDbSlackBudgetStore', () => {
  it('saves a bucket once per version, and refuses a save from a stale read', async () => {
    // Act
    await store.putBucket('chat.update#workspace-a', { tokens: 1 }, 0);
    await store.putBucket('chat.update#workspace-a', { tokens: 2 }, 1);
    const stale = store.putBucket('chat.update#workspace-a', { tokens: 3 }, 1);
    // Assess
    await expect(stale).rejects.toBeInstanceOf(ConcurrentUpdateError);
    await expect(store.putBucket('chat.update#workspace-b', {}, 1)).rejects.toBeInstanceOf(
      ConcurrentUpdateError,
    );
    expect(await store.getBucket('chat.update#workspace-a')).toEqual({
      doc: { tokens: 2 },
      version: 2,
    });
    expect(await store.getBucket('chat.update#nobody')).toBeUndefined();
  });

  it("grants a channel's burst exactly once to notifiers racing for it through the table", async () => {
    // Prepare: two budgets (two Lambdas) on one table, 10 posts each at the same instant
    const lambdas = [new SharedSlackBudget(store), new SharedSlackBudget(store)];
    const burst = SLACK_LIMITS['chat.postMessage'].burst;
    // Act
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        lambdas[i % 2]?.take(
          { method: 'chat.postMessage', channel: 'C0RACE', priority: 'prompt' },
          NOW,
        ),
      ),
    );
    // Assess
    expect(answers.filter((a) => a?.go)).toHaveLength(burst);
    const bucket = await lambdas[0]?.bucket('chat.postMessage', 'C0RACE');
    expect(bucket?.granted).toEqual({ prompt: burst });
  });
});
