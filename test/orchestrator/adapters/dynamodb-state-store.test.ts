import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import {
  ConcurrentUpdateError,
  OperationInProgressError,
} from '../../../orchestrator/domain/errors.ts';
import { answerGate, type Execution, type Gate } from '../../../orchestrator/domain/execution.ts';
import { planRunbook } from '../../../orchestrator/domain/plan-runbook.ts';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';
import { readSample } from '../../helpers.ts';

let aws: LocalAws;
let store: DynamoDbStateStore;
beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
  const client = new DynamoDBClient({
    region: 'us-east-2',
    endpoint: aws.endpoints.dynamodb,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  store = new DynamoDbStateStore(client, 'lifeboat-test');
  await store.ensureTable();
  await store.ensureTable();
});
afterAll(() => aws.stop());

async function execution(id: string): Promise<Execution> {
  const plan = await readSample('dmnt');
  return {
    schemaVersion: 1,
    executionId: id,
    customerId: 'dmnt',
    operation: 'drill',
    planRevision: 'abc',
    requestedBy: 'U01ALICE',
    status: 'running',
    startedAt: 1000,
    excluded: [],
    pauseRequested: false,
    abortRequested: false,
    runbook: planRunbook(plan, 'drill'),
  };
}

describe('DynamoDbStateStore', () => {
  it('gives one active operation per customer, takes over a stale lock, and releases only its own', async () => {
    // Act & Assess
    await store.acquireLock('dmnt', 'run-1', 1_000, 60_000);
    await expect(store.acquireLock('dmnt', 'run-2', 2_000, 60_000)).rejects.toBeInstanceOf(
      OperationInProgressError,
    );
    await expect(store.acquireLock('dmnt', 'run-2', 2_000, 60_000)).rejects.toThrow(/run-1/);
    await store.acquireLock('dmnt', 'run-1', 3_000, 60_000);
    await store.acquireLock('dmnt', 'run-3', 100_000, 60_000);
    await store.releaseLock('dmnt', 'run-1');
    await expect(store.acquireLock('dmnt', 'run-4', 100_001, 60_000)).rejects.toThrow(/run-3/);
    await store.releaseLock('dmnt', 'run-3');
    await store.acquireLock('dmnt', 'run-4', 100_002, 60_000);
  });

  it('keeps the journal in order and refuses a second execution with the same id', async () => {
    const e = await execution('exec-journal');
    await store.createExecution(e);
    await expect(store.createExecution(e)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    for (let i = 0; i < 12; i++) {
      await store.append(e.executionId, { at: i, type: 'step', message: `entry ${i}` });
      // updating the execution between entries must not reset the journal's counter
      if (i === 5) await store.updateExecution(e.executionId, { status: 'paused' });
    }
    const journal = await store.journal(e.executionId);
    expect(journal.map((j) => j.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(journal.map((j) => j.message)).toEqual(
      Array.from({ length: 12 }, (_, i) => `entry ${i}`),
    );
    expect((await store.getExecution(e.executionId)).status).toBe('paused');
    expect((await store.getExecution(e.executionId)).runbook.steps.length).toBe(
      e.runbook.steps.length,
    );
  });

  it('gives two simultaneous answers to a gate exactly one decision', async () => {
    // Prepare
    const gate: Gate = {
      gateId: 'approval',
      executionId: 'exec-gate',
      stepId: 'approval',
      kind: 'approval',
      prompt: 'Approve?',
      principals: ['U02BOB', 'S0LEADS'],
      required: 1,
      excludeRequester: true,
      requestedBy: 'U01ALICE',
      taskToken: 'secret-token',
      openedAt: 0,
      expiresAt: 10_000,
      answers: [],
      status: 'open',
    };
    await store.putGate(gate);
    // Act: bob and dave (in the leads group) click at the same moment
    const bob = answerGate(gate, { user: 'U02BOB', groups: [], decision: 'approve', at: 5 });
    const dave = answerGate(gate, {
      user: 'U09DAVE',
      groups: ['S0LEADS'],
      decision: 'approve',
      at: 5,
    });
    const results = await Promise.allSettled([
      store.saveGateAnswer(bob.gate, 0),
      store.saveGateAnswer(dave.gate, 0),
    ]);
    // Assess
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await store.getGate('exec-gate', 'approval')).answers).toHaveLength(1);
    expect(await store.openGates('exec-gate')).toEqual([]);
  });
});
