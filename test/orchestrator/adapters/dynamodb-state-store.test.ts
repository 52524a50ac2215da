import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NoticeStore } from '../../../bot/notifier/notice-store.ts';
import {
  AUDIT_PARTITION_PREFIX,
  DynamoDbStateStore,
} from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import {
  ConcurrentUpdateError,
  NotFoundError,
  OperationInProgressError,
} from '../../../orchestrator/domain/errors.ts';
import { answerGate, type Execution, type Gate } from '../../../orchestrator/domain/execution.ts';
import { planRunbook } from '../../../orchestrator/domain/plan-runbook.ts';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';
import { readSample } from '../../helpers.ts';

const table = 'lifeboat-test';
let aws: LocalAws;
let store: DynamoDbStateStore;
let documents: DynamoDBDocumentClient;
beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
  const client = new DynamoDBClient({
    region: 'us-east-2',
    endpoint: aws.endpoints.dynamodb,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  store = new DynamoDbStateStore(client, table);
  // A client of the test's own: a document client shares its client's middleware.
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'us-east-2',
      endpoint: aws.endpoints.dynamodb,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    }),
  );
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

function approvalGate(executionId: string, expiresAt: number): Gate {
  return {
    gateId: 'approval',
    executionId,
    stepId: 'approval',
    kind: 'approval',
    prompt: 'Approve?',
    principals: ['U02BOB', 'S0LEADS'],
    required: 1,
    excludeRequester: true,
    requestedBy: 'U01ALICE',
    taskToken: 'secret-token',
    openedAt: 0,
    expiresAt,
    answers: [],
    status: 'open',
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
      await store.append(e.executionId, {
        at: i,
        type: 'pause-requested',
        message: `entry ${i}`,
        data: { by: 'U01ALICE' },
      });
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

  it("parses a run's runbook once while its text is the same, shares it frozen, and reads a changed one", async () => {
    // Prepare
    const e = await execution('exec-runbook-kept');
    await store.createExecution(e);
    // Act
    const first = await store.getExecution(e.executionId);
    const again = await store.getExecution(e.executionId);
    await store.updateExecution(e.executionId, {
      runbook: { ...e.runbook, steps: e.runbook.steps.slice(0, 1) },
    });
    const changed = await store.getExecution(e.executionId);
    // Assess
    expect(again.runbook).toBe(first.runbook);
    expect(first.runbook).toEqual(e.runbook);
    expect(Object.isFrozen(first.runbook.steps[0])).toBe(true);
    expect(changed.runbook.steps).toEqual(e.runbook.steps.slice(0, 1));
  });

  it('numbers entries appended together after those appended alone, in order, none taken twice', async () => {
    // Prepare
    const e = await execution('exec-journal-many');
    await store.createExecution(e);
    const entry = (message: string) => ({
      at: 1,
      type: 'pause-requested' as const,
      message,
      data: { by: 'U01ALICE' },
    });
    await store.append(e.executionId, entry('single'));
    // Act
    const [together, alsoTogether] = await Promise.all([
      store.append(e.executionId, entry('a1'), entry('a2'), entry('a3')),
      store.append(e.executionId, entry('b1'), entry('b2')),
    ]);
    // Assess
    const journal = await store.journal(e.executionId);
    expect(journal.map((j) => j.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const written of [together, alsoTogether]) {
      const seqs = (written ?? []).map((j) => j.seq);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    }
    expect(journal.map((j) => j.message).filter((m) => m.startsWith('a'))).toEqual([
      'a1',
      'a2',
      'a3',
    ]);
    expect(await store.append(e.executionId)).toEqual([]);
  });

  it('gives two simultaneous answers to a gate exactly one decision', async () => {
    // Prepare
    const gate = approvalGate('exec-gate', 10_000);
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

  it('patches a run in place: set fields change, fields set to undefined go, the rest stays', async () => {
    // Prepare
    const e = { ...(await execution('exec-patch')), channel: 'C0DMNTDR' };
    await store.createExecution(e);
    // Act
    await store.updateExecution(e.executionId, { status: 'succeeded', endedAt: 2_000 });
    await store.updateExecution(e.executionId, { excluded: ['web-1'], endedAt: undefined });
    // Assess
    expect(await store.getExecution(e.executionId)).toEqual({
      ...e,
      status: 'succeeded',
      excluded: ['web-1'],
    });
    await expect(store.updateExecution('exec-none', { status: 'paused' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(store.getExecution('exec-none')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('keeps step records, leaving out fields that are undefined', async () => {
    // Prepare
    const record = {
      stepId: 'recover-wave-1',
      status: 'running' as const,
      startedAt: 10,
      attempt: 1,
      progress: { jobIds: ['drsjob-1'], launched: { 'web-1': 'i-0abc' }, note: undefined },
      message: undefined,
    };
    // Act
    await store.putStep('exec-steps', record);
    // Assess
    const expected = {
      stepId: 'recover-wave-1',
      status: 'running',
      startedAt: 10,
      attempt: 1,
      progress: { jobIds: ['drsjob-1'], launched: { 'web-1': 'i-0abc' } },
    };
    expect(await store.getStep('exec-steps', 'recover-wave-1')).toEqual(expected);
    expect(await store.getSteps('exec-steps')).toEqual(new Map([['recover-wave-1', expected]]));
    expect(await store.getStep('exec-steps', 'nothing')).toBeUndefined();
  });

  it('lists an open gate as due once its expiry has passed, and no more once it expired', async () => {
    // Prepare
    const gate = approvalGate('exec-due', 50_000);
    await store.putGate(gate);
    // Act
    const before = await store.dueGates(49_999);
    const after = await store.dueGates(50_001);
    await store.expireGate(gate);
    // Assess
    const ref = { executionId: 'exec-due', gateId: 'approval' };
    expect(before).not.toContainEqual(ref);
    expect(after).toContainEqual(ref);
    expect(await store.dueGates(50_001)).not.toContainEqual(ref);
    expect((await store.getGate('exec-due', 'approval')).status).toBe('expired');
  });

  it("keeps the bot's notices versioned: a write from an old version is refused", async () => {
    // Prepare
    const notices: NoticeStore = store;
    // Act
    const none = await notices.getNotice('exec-notice');
    await notices.putNotice('exec-notice', { cursor: 1, statusTs: undefined }, 0);
    await notices.putNotice('exec-notice', { cursor: 2 }, 1);
    // Assess
    expect(none).toBeUndefined();
    await expect(notices.putNotice('exec-notice', { cursor: 3 }, 1)).rejects.toBeInstanceOf(
      ConcurrentUpdateError,
    );
    await expect(notices.putNotice('exec-notice', { cursor: 3 }, 0)).rejects.toBeInstanceOf(
      ConcurrentUpdateError,
    );
    expect(await notices.getNotice('exec-notice')).toEqual({ doc: { cursor: 2 }, version: 2 });
  });

  it("keeps a customer's audit log and run history, newest run first", async () => {
    // Prepare
    const entry = { user: 'U01ALICE', action: 'drill', allowed: true, detail: 'dmnt' };
    // Act
    await store.appendAudit('history', { ...entry, at: 1 });
    await store.appendAudit('history', { ...entry, at: 2, allowed: false });
    for (const startedAt of [100, 300, 200])
      await store.saveRunSummary({
        executionId: `drill-${startedAt}`,
        customerId: 'history',
        operation: 'drill',
        requestedBy: 'U01ALICE',
        startedAt,
      });
    // Assess
    expect((await store.auditLog('history')).map((a) => [a.at, a.allowed])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect((await store.listRuns('history', 2)).map((r) => r.executionId)).toEqual([
      'drill-300',
      'drill-200',
    ]);
  });

  it('keeps audit entries in a partition of their own, which IAM lets only the ingress write', async () => {
    // Prepare: an entry written where audit entries were kept before (the customer's partition)
    const entry = { user: 'U01ALICE', action: 'drill', allowed: true, detail: 'dmnt' };
    await documents.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: 'CUSTOMER#partitioned',
          sk: 'AUDIT#000000000000001#old',
          doc: { ...entry, at: 1 },
        },
      }),
    );
    // Act
    await store.appendAudit('partitioned', { ...entry, at: 2 });
    // Assess
    const own = await documents.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${AUDIT_PARTITION_PREFIX}partitioned` },
      }),
    );
    expect(own.Items?.map((i) => i.doc.at)).toEqual([2]);
    expect((await store.auditLog('partitioned')).map((a) => a.at)).toEqual([1, 2]);
  });
});
