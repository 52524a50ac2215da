import { describe, expect, it } from 'vitest';
import { FilePlanSource } from '../../../orchestrator/adapters/config-files.ts';
import {
  GateAnswerError,
  NotFoundError,
  NotPausedError,
  OperationInProgressError,
} from '../../../orchestrator/domain/errors.ts';
import type { Execution, Gate } from '../../../orchestrator/domain/execution.ts';
import { DEFAULT_SETTINGS } from '../../../orchestrator/domain/settings.ts';
import type { StartRunRequest } from '../../../orchestrator/ports/run-control.ts';
import { LifeboatRunControl, type RunControlDeps } from '../../../orchestrator/run/run-control.ts';
import { SAMPLE_PLANS } from '../../helpers.ts';

const NOW = Date.parse('2026-11-22T03:15:00Z');

/** A run control over fakes of just what it uses: the lock, one run, the engine's answers. */
function fakes(
  options: {
    startFails?: boolean;
    lockHeldBy?: string;
    /** The lock's holder has no record: its start died before StartExecution, or before Prepare. */
    holderUnrecorded?: boolean;
    /** The gate answered is closed already, by this answer. */
    closedBy?: { user: string; decision: string };
  } = {},
) {
  const calls: string[] = [];
  const started: { region: string; name: string; input: StartRunRequest }[] = [];
  const resumed: { region: string; token: string; output: Record<string, unknown> }[] = [];
  let lock = options.lockHeldBy;
  const execution = {
    executionId: 'run-1',
    pauseRequested: true,
    runbook: { executionRegion: 'us-east-2' },
  };
  const pauseGate = { gateId: 'run-1/failover.wave.1#pause#1', kind: 'pause' } as Gate;
  let openGates: Gate[] = [];
  const deps = {
    engine: {
      answer: async (_id: string, gateId: string, answer: { decision: string }) => {
        calls.push(`answer ${gateId} ${answer.decision}`);
        if (options.closedBy) throw new GateAnswerError('This approval was already decided.');
        const kind = gateId.includes('#pause#') ? 'pause' : 'approval';
        return {
          decided: answer.decision,
          taskToken: 'token-1',
          gate: { ...pauseGate, gateId, kind },
        };
      },
      requestPause: async () => void calls.push('pause'),
      requestAbort: async () => [
        { taskToken: 'token-a', kind: 'sign-off', executionId: 'run-1', region: 'us-east-2' },
      ],
      readiness: async () => [],
    },
    store: {
      acquireLock: async (customerId: string, executionId: string) => {
        if (lock) throw new OperationInProgressError(customerId, lock);
        lock = executionId;
      },
      releaseLock: async (_c: string, executionId: string) => {
        if (lock === executionId) lock = undefined;
      },
      activeRun: async () => lock,
      getExecution: async (id: string) => {
        if (options.holderUnrecorded && id === options.lockHeldBy)
          throw new NotFoundError(`Run ${id}`);
        return execution as unknown as Execution;
      },
      getGate: async (_id: string, gateId: string) =>
        ({
          gateId,
          kind: 'approval',
          taskToken: 'token-1',
          status: options.closedBy ? 'closed' : 'open',
          answers: options.closedBy ? [{ ...options.closedBy, at: NOW }] : [],
        }) as unknown as Gate,
      updateExecution: async (_id: string, patch: Partial<Execution>) => {
        Object.assign(execution, patch);
      },
      openGates: async () => openGates,
    },
    plans: new FilePlanSource(SAMPLE_PLANS),
    settings: DEFAULT_SETTINGS,
    executions: {
      start: async (region: string, name: string, input: StartRunRequest) => {
        if (options.startFails) throw new Error('Step Functions is throttling');
        started.push({ region, name, input });
      },
    },
    tokens: {
      succeed: async (region: string, token: string, output: Record<string, unknown>) =>
        void resumed.push({ region, token, output }),
    },
    now: () => NOW,
    nonce: () => 'k3f9',
  } as unknown as RunControlDeps;
  return {
    control: new LifeboatRunControl(deps),
    calls,
    started,
    resumed,
    execution,
    lock: () => lock,
    openPause: () => (openGates = [pauseGate]),
  };
}

const request: StartRunRequest = {
  customerId: 'bcbsaz',
  operation: 'drill',
  requestedBy: 'U01ALICE',
  channel: 'C0BCBSAZDR',
};

describe('LifeboatRunControl', () => {
  it('takes the lock, then starts the state machine in the region the operation makes active, named by the run', async () => {
    const f = fakes();
    const run = await f.control.start(request);
    expect(run).toEqual({ executionId: 'drill-bcbsaz-20261122-031500-k3f9', region: 'us-east-2' });
    expect(f.lock()).toBe(run.executionId);
    expect(f.started).toEqual([{ region: 'us-east-2', name: run.executionId, input: request }]);
  });

  it('gives the lock back when the state machine does not start', async () => {
    const f = fakes({ startFails: true });
    await expect(f.control.start(request)).rejects.toThrow(/throttling/);
    expect(f.lock()).toBeUndefined();
  });

  it('refuses a second run while one holds the lock, starting nothing', async () => {
    const f = fakes({ lockHeldBy: 'drill-bcbsaz-20261122-020000-aaaa' });
    await expect(f.control.start(request)).rejects.toThrow(OperationInProgressError);
    expect(f.started).toHaveLength(0);
  });

  it.each([
    // [the lock's holder has a record, what a new request gets, the executions started]
    [true, 'refused', []],
    [false, 'the holder', ['drill-bcbsaz-20261122-020000-dead']],
  ] as const)(
    'a request while a run holds the lock (recorded: %s) gets %s, starting %j',
    async (recorded, gets, names) => {
      // Prepare: a start that took the lock and died before StartExecution leaves no record
      const holder = 'drill-bcbsaz-20261122-020000-dead';
      const f = fakes({ lockHeldBy: holder, holderUnrecorded: !recorded });
      // Act
      const started = f.control.start(request);
      // Assess
      if (gets === 'refused') await expect(started).rejects.toThrow(OperationInProgressError);
      else
        expect(await started).toEqual({
          executionId: holder,
          region: 'us-east-2',
          alreadyRunning: true,
        });
      expect(f.started.map((s) => s.name)).toEqual(names);
      expect(f.lock()).toBe(holder);
    },
  );

  it.each([
    // [the gate, what the click gets, the runs resumed]
    ['open', 'decided', [{ kind: 'approval', decision: 'approve' }]],
    [
      'closed by an answer that died before resuming',
      'refused',
      [{ kind: 'approval', decision: 'reject' }],
    ],
  ] as const)('a click on a gate %s is %s, and resumes %j', async (gate, gets, outputs) => {
    // Prepare
    const f = fakes(gate === 'open' ? {} : { closedBy: { user: 'U02BOB', decision: 'reject' } });
    // Act
    const answered = f.control.answer('run-1', 'run-1/failover.approval#1', {
      user: 'U07GRACE',
      groups: [],
      decision: 'approve',
    });
    // Assess
    if (gets === 'refused') await expect(answered).rejects.toThrow(GateAnswerError);
    else expect((await answered).decided).toBe('approve');
    expect(f.resumed).toEqual(
      outputs.map((output) => ({ region: 'us-east-2', token: 'token-1', output })),
    );
  });

  it('resumes the waiting run in its region when an answer decides the gate', async () => {
    const f = fakes();
    await f.control.answer('run-1', 'run-1/failover.approval#1', {
      user: 'U02BOB',
      groups: [],
      decision: 'approve',
    });
    expect(f.resumed).toEqual([
      { region: 'us-east-2', token: 'token-1', output: { kind: 'approval', decision: 'approve' } },
    ]);
  });

  it('resumes a paused run through its pause gate, or withdraws a pause not reached yet', async () => {
    const paused = fakes();
    paused.openPause();
    expect(await paused.control.resume('run-1', { user: 'U02BOB', groups: [] })).toBe('resumed');
    expect(paused.calls).toEqual(['answer run-1/failover.wave.1#pause#1 resume']);

    const pending = fakes();
    expect(await pending.control.resume('run-1', { user: 'U02BOB', groups: [] })).toBe('withdrawn');
    expect(pending.execution.pauseRequested).toBe(false);
    await expect(pending.control.resume('run-1', { user: 'U02BOB', groups: [] })).rejects.toThrow(
      NotPausedError,
    );
  });

  it('resumes every gate an abort closed, in its run region, as an abort', async () => {
    const f = fakes();
    await f.control.requestAbort('run-1', 'U02BOB');
    expect(f.resumed).toEqual([
      { region: 'us-east-2', token: 'token-a', output: { kind: 'sign-off', decision: 'abort' } },
    ]);
  });
});
