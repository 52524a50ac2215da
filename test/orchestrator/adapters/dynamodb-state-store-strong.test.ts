import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAdmissionStore } from '../../../orchestrator/adapters/dynamodb-admission-store.ts';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import type { BudgetKey } from '../../../orchestrator/domain/admission.ts';
import {
  AwsCallError,
  ConcurrentUpdateError,
  OperationInProgressError,
} from '../../../orchestrator/domain/errors.ts';
import { answerGate, type Gate } from '../../../orchestrator/domain/execution.ts';
import { nearestStrongReplica } from '../../../orchestrator/domain/strong-replicas.ts';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';

const STATE = 'lifeboat-state';
const LOCKS = 'lifeboat-state-locks';
let aws: LocalAws;

const client = (at: string) =>
  new DynamoDBClient({
    region: at,
    endpoint: aws.endpoints.dynamodb,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });

/** A region's store, as its Lambdas wire it: the state replica here, the nearest lock replica. */
function storeIn(region: string): DynamoDbStateStore {
  const replica = nearestStrongReplica(region);
  return new DynamoDbStateStore(client(region), STATE, {
    client: client(replica),
    table: LOCKS,
    region: replica,
  });
}

function approval(executionId: string): Gate {
  return {
    gateId: `${executionId}/approval#1`,
    executionId,
    stepId: 'approval',
    kind: 'approval',
    prompt: 'Approve?',
    principals: ['U02BOB', 'U06FRED'],
    required: 1,
    excludeRequester: true,
    requestedBy: 'U01ALICE',
    taskToken: 'secret-token',
    openedAt: 0,
    expiresAt: 3_600_000,
    answers: [],
    status: 'open',
  };
}

beforeAll(async () => {
  aws = await startLocalAws({
    plans: [],
    speed: 0,
    iam: false,
    globalTables: { strongTables: [LOCKS] },
  });
  await storeIn('us-east-1').ensureTable();
});
afterAll(() => aws.stop());

describe('the state store with a strongly consistent lock table', () => {
  it('lets one of two regions cut apart take a customer, and tells the other who holds it', async () => {
    // Prepare
    aws.addFault('partition:us-east-1|us-west-2');
    const [east, west] = [storeIn('us-east-1'), storeIn('us-west-2')];
    // Act
    const taken = await Promise.allSettled([
      east.acquireLock('acme', 'run-east', 1_000, 60_000),
      west.acquireLock('acme', 'run-west', 1_000, 60_000),
    ]);
    aws.faults.remove('partition:us-east-1|us-west-2');
    // Assess
    const lost = taken.flatMap((t) => (t.status === 'rejected' ? [t.reason] : []));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(OperationInProgressError);
    const holder = await east.activeRun('acme');
    expect(await west.activeRun('acme')).toBe(holder);
    expect(String((lost[0] as Error).message)).toContain(String(holder));
  });

  it('reaches us-west-2’s replica from us-west-1, where the table has none', async () => {
    await storeIn('us-west-1').acquireLock('globex', 'run-1', 1_000, 60_000);
    expect(await storeIn('us-east-2').activeRun('globex')).toBe('run-1');
  });

  it('gives two answers from two regions one decision', async () => {
    // Prepare
    const gate = approval('run-gates');
    await storeIn('us-east-2').putGate(gate);
    const answer = (user: string) =>
      answerGate(gate, { user, groups: [], decision: 'approve', at: 10 }).gate;
    // Act
    const saved = await Promise.allSettled([
      storeIn('us-east-1').saveGateAnswer(answer('U02BOB'), 0),
      storeIn('us-west-2').saveGateAnswer(answer('U06FRED'), 0),
    ]);
    // Assess
    const refused = saved.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(ConcurrentUpdateError);
    expect((await storeIn('us-west-1').getGate('run-gates', gate.gateId)).answers).toHaveLength(1);
  });

  it('never grants two regions’ runs more DRS jobs than the account’s budget', async () => {
    // Prepare: one job slot in a recovery account; runs in us-east-1 and us-west-2, cut apart
    aws.addFault('partition:us-east-1|us-west-2');
    const key: BudgetKey = { account: '111122223333', region: 'us-east-2' };
    const ask = (runId: string) => ({
      ...key,
      runId,
      customerId: runId,
      priority: 3,
      servers: 1,
      job: 'web-01',
    });
    const [east, west] = ['us-east-1', 'us-west-2'].map(
      (region) => new DynamoDbAdmissionStore(client(region), LOCKS),
    );
    // Act
    const decisions = await Promise.all([
      east?.acquire(ask('run-east'), { jobs: 1, servers: 100 }, 1_000),
      west?.acquire(ask('run-west'), { jobs: 1, servers: 100 }, 1_000),
    ]);
    aws.faults.remove('partition:us-east-1|us-west-2');
    // Assess
    expect(decisions.filter((d) => d?.kind === 'grant')).toHaveLength(1);
    expect((await east?.budget(key))?.leases).toHaveLength(1);
  });

  it('refuses, as an AWS call error naming the majority, where its replica is cut off', async () => {
    // Prepare
    for (const fault of ['partition:us-east-1|us-west-2', 'partition:us-east-2|us-west-2'])
      aws.addFault(fault);
    // Act
    const refused = await storeIn('us-west-1')
      .acquireLock('initech', 'run-1', 1_000, 60_000)
      .catch((e: unknown) => e);
    aws.faults.clear();
    // Assess
    expect(refused).toBeInstanceOf(AwsCallError);
    expect(refused).toMatchObject({ code: 'InternalServerError', retryable: true });
    expect((refused as Error).message).toContain('us-west-2 cannot reach a majority');
    expect(await storeIn('us-east-1').activeRun('initech')).toBeUndefined();
  });
});
