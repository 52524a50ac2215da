import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilePlanSource } from '../../../orchestrator/adapters/config-files.ts';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import { OperationInProgressError } from '../../../orchestrator/domain/errors.ts';
import { entriesOf } from '../../../orchestrator/domain/journal.ts';
import { DEFAULT_SETTINGS } from '../../../orchestrator/domain/settings.ts';
import { Engine, type EngineDeps } from '../../../orchestrator/run/engine.ts';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';
import { SAMPLE_PLANS } from '../../helpers.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
});
afterAll(() => aws.stop());

/**
 * An engine of its own for one test: its own table (so its own customers' locks), clock and run
 * ids, so no test depends on what another left behind, or on the order they run in.
 */
async function newEngine(
  name: string,
  writeReport: EngineDeps['writeReport'] = async () => ({}),
): Promise<{ engine: Engine; clock: { now: number }; store: DynamoDbStateStore }> {
  const store = new DynamoDbStateStore(
    new DynamoDBClient({
      region: 'us-east-2',
      endpoint: aws.endpoints.dynamodb,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    }),
    `engine-test-${name}`,
  );
  await store.ensureTable();
  const clock = { now: Date.parse('2026-11-22T03:00:00Z') };
  let ids = 0;
  const engine = new Engine({
    store,
    plans: new FilePlanSource(SAMPLE_PLANS),
    settings: DEFAULT_SETTINGS,
    servicesFor: () => {
      throw new Error('no AWS in these tests');
    },
    now: () => clock.now,
    writeReport,
    newId: () => `${name}-run-${++ids}`,
  });
  return { engine, clock, store };
}

describe('Engine', () => {
  it('starts at the pre-flight, refuses a second operation on the same customer, and frees it at the end', async () => {
    // Prepare
    const { engine } = await newEngine('lock');
    // Act
    const { executionId } = await engine.prepare({
      customerId: 'dmnt',
      operation: 'drill',
      requestedBy: 'U01ALICE',
    });
    // Assess
    expect(await engine.next(executionId)).toMatchObject({
      kind: 'preflight',
      stepId: 'preflight',
    });
    await expect(
      engine.prepare({ customerId: 'dmnt', operation: 'failback', requestedBy: 'U02BOB' }),
    ).rejects.toBeInstanceOf(OperationInProgressError);
    await engine.requestAbort(executionId, 'U02BOB');
    expect(await engine.next(executionId)).toEqual({ kind: 'finish', outcome: 'aborted' });
    await engine.finish(executionId, 'aborted');
    const second = await engine.prepare({
      customerId: 'dmnt',
      operation: 'failback',
      requestedBy: 'U02BOB',
    });
    await engine.finish(second.executionId, 'aborted');
  });

  it('writes the report as of its first attempt when the task dies in the write and runs again', async () => {
    // Prepare: a report store whose every other write takes effect, then its task dies
    const writes: { executionId: string; at: number }[] = [];
    const { engine, clock, store } = await newEngine('report-again', async (execution, at) => {
      writes.push({ executionId: execution.executionId, at });
      if (writes.length % 2 === 1) throw new Error('The task died after PutObject');
      return { json: `reports/${execution.executionId}.json` };
    });
    const drill = await engine.prepare({
      customerId: 'dmnt',
      operation: 'drill',
      requestedBy: 'U01ALICE',
    });
    // Act: the report step, dying, then run again a minute later
    const started = clock.now;
    await expect(engine.startStep(drill.executionId, 'report')).rejects.toThrow('died');
    clock.now += 60_000;
    const done = await engine.startStep(drill.executionId, 'report');
    // Assess: the same report (as of the step's start), one start journaled
    expect(done.status).toBe('done');
    expect(writes).toEqual([
      { executionId: drill.executionId, at: started },
      { executionId: drill.executionId, at: started },
    ]);
    const journal = await store.journal(drill.executionId);
    expect(entriesOf(journal, 'step-started').map((e) => e.stepId)).toEqual(['report']);
    // Act: an aborted run's finish, which writes its report, dying, then run again
    await engine.requestAbort(drill.executionId, 'U01ALICE');
    const ended = clock.now;
    await expect(engine.finish(drill.executionId, 'aborted')).rejects.toThrow('died');
    clock.now += 60_000;
    await engine.finish(drill.executionId, 'aborted');
    // Assess: the run keeps its first end, and its report is written as of it both times
    expect((await store.getExecution(drill.executionId)).endedAt).toBe(ended);
    expect(writes.slice(2).map((w) => w.at)).toEqual([ended, ended]);
  });

  it('pauses at the next step boundary and resumes where it stopped', async () => {
    // Prepare
    const { engine } = await newEngine('pause');
    // Act & Assess, step by step
    const { executionId } = await engine.prepare({
      customerId: 'bcbsaz',
      operation: 'drill',
      requestedBy: 'U01ALICE',
    });
    await engine.requestPause(executionId, 'U01ALICE');
    const paused = await engine.next(executionId);
    expect(paused).toMatchObject({ kind: 'pause', stepId: 'preflight' });
    const gate = await engine.openGate(executionId, 'preflight', 'pause', 'secret-token');
    const answer = await engine.answer(executionId, gate.gateId, {
      user: 'U02BOB',
      groups: [],
      decision: 'resume',
    });
    expect(answer).toMatchObject({ decided: 'resume', taskToken: 'secret-token' });
    await engine.applyDecision(executionId, 'preflight', 'pause', 'resume');
    expect(await engine.next(executionId)).toMatchObject({ kind: 'preflight' });
  });

  it('turns an approval into the next step, and never lets the requester approve', async () => {
    // Prepare
    const { engine } = await newEngine('approval');
    // Act & Assess, step by step
    const { executionId } = await engine.prepare({
      customerId: 'nwhealth',
      operation: 'failover',
      requestedBy: 'U05ERIN',
    });
    const gate = await engine.openGate(executionId, 'approval', 'step', 'token-2');
    expect(gate.required).toBe(2);
    await expect(
      engine.answer(executionId, gate.gateId, {
        user: 'U05ERIN',
        groups: ['S0GCDRLEADS'],
        decision: 'approve',
      }),
    ).rejects.toThrow(/a second person must/);
    expect(
      (
        await engine.answer(executionId, gate.gateId, {
          user: 'U06FRANK',
          groups: [],
          decision: 'approve',
        })
      ).decided,
    ).toBeUndefined();
    const second = await engine.answer(executionId, gate.gateId, {
      user: 'U07GRACE',
      groups: [],
      decision: 'approve',
    });
    expect(second.decided).toBe('approve');
    await engine.applyDecision(executionId, 'approval', 'approval', 'approve');
    expect(await engine.next(executionId)).toMatchObject({ kind: 'preflight' });
  });

  it('expires a gate nobody answered in time, returns its token once, and the run then aborts', async () => {
    // Prepare: an approval that expires in an hour (the default approvalTimeout)
    const { engine, clock } = await newEngine('expiry');
    const { executionId } = await engine.prepare({
      customerId: 'dmnt',
      operation: 'drill',
      requestedBy: 'U01ALICE',
      executionId: 'run-expiring',
    });
    await engine.openGate(executionId, 'approval', 'step', 'token-expiring');
    // Act
    const early = await engine.expireDueGates();
    clock.now += 2 * 3600_000;
    const due = await engine.expireDueGates();
    const again = await engine.expireDueGates();
    // Assess
    expect(early.filter((g) => g.executionId === executionId)).toEqual([]);
    expect(due.filter((g) => g.executionId === executionId)).toEqual([
      { taskToken: 'token-expiring', kind: 'approval', executionId, region: 'us-west-1' },
    ]);
    expect(again.filter((g) => g.executionId === executionId)).toEqual([]);
    await expect(
      engine.answer(executionId, `${executionId}/approval#1`, {
        user: 'U02BOB',
        groups: [],
        decision: 'approve',
      }),
    ).rejects.toThrow(/expired/);
    await engine.applyDecision(executionId, 'approval', 'approval', 'expired');
    expect(await engine.next(executionId)).toEqual({ kind: 'finish', outcome: 'aborted' });
  });
});
