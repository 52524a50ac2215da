import { describe, expect, it } from 'vitest';
import {
  GATE_DECISIONS,
  type Gate,
  type GateDecision,
  type GateKind,
  type StepRecord,
} from '../../../orchestrator/domain/execution.ts';
import {
  applyDecision,
  closedBy,
  closeForAbort,
  expire,
  gateIdOf,
  isDue,
  openGate,
  recordAnswer,
  runOfGateId,
} from '../../../orchestrator/domain/gates.ts';
import { checkJournalEntry } from '../../../orchestrator/domain/journal.ts';
import { type Step, StepSchema } from '../../../orchestrator/domain/runbook.ts';
import { DECISION_GATE_EXPIRY_SECONDS } from '../../../orchestrator/domain/settings.ts';

const NOW = Date.parse('2026-11-22T03:00:00Z');
const RUN = 'drill-tiny-20261122-030000-ab12';

const gateStep: Step = StepSchema.parse({
  id: 'failover.approval',
  kind: 'gate',
  title: 'Approval',
  phase: 'prepare',
  region: 'us-east-2',
  bestEffort: false,
  timeoutSeconds: 3600,
  gate: 'approval',
  prompt: 'Approve the drill of Tiny Health?',
  principals: ['U02BOB', 'S0APPROVERS'],
  required: 1,
  excludeRequester: true,
});

const waveStep = {
  id: 'failover.wave.1',
  kind: 'recover-wave',
  title: 'Wave 1/1 app: recover 2 servers',
  phase: 'failover',
  region: 'us-east-2',
  bestEffort: false,
  timeoutSeconds: 3600,
} as Step;

const access = { requesters: ['U01ALICE'], approvers: ['U02BOB'] };
const execution = { executionId: RUN, requestedBy: 'U01ALICE', excluded: ['old-01'] };

function record(patch: Partial<StepRecord> = {}): StepRecord {
  return {
    stepId: waveStep.id,
    status: 'failed',
    startedAt: NOW - 60_000,
    attempt: 1,
    progress: { launched: { 'app-01': {} } },
    message: 'app-02 failed to launch',
    ...patch,
  };
}

/** Every journal entry a rule returns must be one the journal accepts. */
function expectWritable(journal: { type: string }[]): void {
  for (const entry of journal)
    expect(() => checkJournalEntry({ ...entry, at: NOW } as never)).not.toThrow();
}

describe('gate ids', () => {
  it.each([
    [gateIdOf(RUN, 'failover.approval', 1), RUN],
    [gateIdOf(RUN, 'failover.wave.1', 'decision', 2), RUN],
    [gateIdOf(RUN, 'failover.wave.1', 'pause', NOW), RUN],
    ['no-slash#1', undefined],
    ['/failover.approval#1', undefined],
    [`${RUN}/failover.approval`, undefined],
  ])('%s names run %s', (gateId, run) => {
    expect(runOfGateId(gateId)).toBe(run);
  });
});

describe('openGate', () => {
  it.each([
    // opening, step, record, kind, principals, required, excludeRequester, expires after (s), journal types
    [
      'step',
      gateStep,
      undefined,
      'approval',
      ['U02BOB', 'S0APPROVERS'],
      1,
      true,
      3600,
      ['step-started', 'gate-opened'],
    ],
    [
      'step',
      gateStep,
      { ...record(), stepId: gateStep.id, status: 'running' },
      'approval',
      ['U02BOB', 'S0APPROVERS'],
      1,
      true,
      3600,
      ['gate-opened'],
    ],
    [
      'decision',
      waveStep,
      record({ failedServers: ['app-02'] }),
      'decision',
      ['U01ALICE', 'U02BOB'],
      1,
      false,
      DECISION_GATE_EXPIRY_SECONDS,
      ['gate-opened'],
    ],
    [
      'pause',
      waveStep,
      undefined,
      'pause',
      ['U01ALICE', 'U02BOB'],
      1,
      false,
      DECISION_GATE_EXPIRY_SECONDS,
      ['gate-opened'],
    ],
  ] as const)(
    'a %s gate on %s (record %o): %s by %o',
    (opening, step, rec, kind, principals, required, excludeRequester, expiresIn, types) => {
      // Act
      const { gate, journal } = openGate({
        opening,
        execution,
        step,
        ...(rec ? { record: rec as StepRecord } : {}),
        access,
        taskToken: 'token-1',
        now: NOW,
      });
      // Assess
      expect(gate).toMatchObject({
        executionId: RUN,
        stepId: step.id,
        kind,
        principals,
        required,
        excludeRequester,
        status: 'open',
        answers: [],
        taskToken: 'token-1',
        expiresAt: NOW + expiresIn * 1000,
      });
      expect(runOfGateId(gate.gateId)).toBe(RUN);
      expect(journal.map((e) => e.type)).toEqual(types);
      expectWritable(journal);
    },
  );

  it('names the failed servers of a decision, and only there', () => {
    const { gate, journal } = openGate({
      opening: 'decision',
      execution,
      step: waveStep,
      record: record({ failedServers: ['app-02'] }),
      access,
      taskToken: 't',
      now: NOW,
    });
    expect(gate.failedServers).toEqual(['app-02']);
    expect(gate.prompt).toContain('app-02 failed to launch');
    expect(journal.at(-1)?.data).toMatchObject({ failedServers: ['app-02'] });
  });

  it('refuses to open a step gate on a step that is no gate', () => {
    expect(() =>
      openGate({ opening: 'step', execution, step: waveStep, access, taskToken: 't', now: NOW }),
    ).toThrow(/not a gate step/);
  });
});

function gateOf(kind: GateKind, patch: Partial<Gate> = {}): Gate {
  return {
    gateId: gateIdOf(RUN, gateStep.id, 1),
    executionId: RUN,
    stepId: gateStep.id,
    kind,
    prompt: 'p',
    principals: ['U01ALICE', 'U02BOB', 'U03CAROL', 'S0OPS'],
    required: 1,
    excludeRequester: kind === 'approval',
    requestedBy: 'U01ALICE',
    taskToken: 'token-1',
    openedAt: NOW,
    expiresAt: NOW + 3600_000,
    answers: [],
    status: 'open',
    ...patch,
  };
}

describe('recordAnswer', () => {
  const cases: [GateKind, GateDecision, string, GateDecision | undefined][] = [];
  for (const kind of Object.keys(GATE_DECISIONS) as GateKind[])
    for (const decision of GATE_DECISIONS[kind]) cases.push([kind, decision, 'U02BOB', decision]);
  it('covers every kind and every decision it accepts', () => expect(cases).toHaveLength(11));

  it.each(cases)('a %s answered %s by %s is decided %s', (kind, decision, user, decided) => {
    const result = recordAnswer(gateOf(kind), { user, groups: [], decision, at: NOW + 1 });
    expect(result.decided).toBe(decided);
    expect(result.gate.status).toBe('closed');
    expect(result.journal.map((e) => e.type)).toEqual(['gate-answered', 'gate-closed']);
    expectWritable(result.journal);
  });

  it.each([
    [
      'the requester approving her own request',
      gateOf('approval'),
      'U01ALICE',
      [],
      'approve',
      /second person/,
    ],
    [
      'someone not among the principals',
      gateOf('approval'),
      'U09MALLORY',
      [],
      'approve',
      /may not answer/,
    ],
    [
      'an answer the kind does not take',
      gateOf('approval'),
      'U02BOB',
      [],
      'retry',
      /not an answer/,
    ],
    [
      'a second answer by the same person',
      gateOf('approval', {
        required: 2,
        answers: [{ user: 'U02BOB', decision: 'approve', at: NOW }],
      }),
      'U02BOB',
      [],
      'approve',
      /already answered/,
    ],
    [
      'a closed gate',
      gateOf('sign-off', { status: 'closed' }),
      'U02BOB',
      [],
      'approve',
      /already decided/,
    ],
    [
      'an expired gate',
      gateOf('decision', { status: 'expired' }),
      'U02BOB',
      [],
      'retry',
      /already expired/,
    ],
    [
      'an answer after the expiry',
      gateOf('manual', { expiresAt: NOW }),
      'U02BOB',
      [],
      'done',
      /expired at/,
    ],
  ] as const)('refuses %s', (_what, gate, user, groups, decision, error) => {
    expect(() => recordAnswer(gate, { user, groups, decision, at: NOW + 1 })).toThrow(error);
  });

  it('lets a member of a principal group answer, and counts approvals up to the required number', () => {
    const gate = gateOf('approval', { required: 2 });
    const first = recordAnswer(gate, {
      user: 'U04DAVE',
      groups: ['S0OPS'],
      decision: 'approve',
      at: NOW,
    });
    expect(first.decided).toBeUndefined();
    expect(first.journal.map((e) => e.type)).toEqual(['gate-answered']);
    const second = recordAnswer(first.gate, {
      user: 'U02BOB',
      groups: [],
      decision: 'approve',
      at: NOW,
    });
    expect(second.decided).toBe('approve');
    expect(second.journal.at(-1)?.data).toMatchObject({ users: ['U04DAVE', 'U02BOB'] });
  });

  it.each([
    ['with the name Slack sent', 'bob', { userName: 'bob' }, { names: { U02BOB: 'bob' } }],
    ['without a name', undefined, {}, {}],
  ] as const)('journals an answer %s beside the id', (_what, userName, answered, closed) => {
    const result = recordAnswer(gateOf('approval'), {
      user: 'U02BOB',
      ...(userName ? { userName } : {}),
      groups: [],
      decision: 'approve',
      at: NOW,
    });
    const gateId = gateIdOf(RUN, gateStep.id, 1);
    expect(result.journal.map((e) => e.data)).toEqual([
      { gateId, kind: 'approval', user: 'U02BOB', decision: 'approve', ...answered },
      { gateId, kind: 'approval', decision: 'approve', users: ['U02BOB'], ...closed },
    ]);
    expect(result.gate.answers).toEqual([{ user: 'U02BOB', decision: 'approve', at: NOW }]);
    expectWritable(result.journal);
  });

  it('the requester may reject (withdraw) what she may not approve', () => {
    const result = recordAnswer(gateOf('approval'), {
      user: 'U01ALICE',
      groups: [],
      decision: 'reject',
      at: NOW,
    });
    expect(result.decided).toBe('reject');
  });
});

describe('abort and expiry', () => {
  it('an abort closes an open gate as an abort by whoever asked', () => {
    const { gate, journal } = closeForAbort(gateOf('sign-off'), 'U02BOB', NOW);
    expect(gate).toMatchObject({
      status: 'closed',
      answers: [{ user: 'U02BOB', decision: 'abort', at: NOW }],
    });
    expect(journal[0]).toMatchObject({
      type: 'gate-closed',
      data: { decision: 'abort', users: ['U02BOB'] },
    });
    expectWritable(journal);
  });

  it.each([
    [undefined, 'sign-off closed: the run is aborting'],
    ['the incident', 'sign-off closed: the incident is aborting'],
  ])('an abort of %s says what is aborting', (aborting, message) => {
    const { journal } = closeForAbort(gateOf('sign-off'), 'U02BOB', NOW, undefined, aborting);
    expect(journal[0]?.message).toBe(message);
  });

  it('an answer that closes a gate is kept after the others, whatever they said', () => {
    const open = gateOf('sign-off', {
      answers: [{ user: 'U01ALICE', decision: 'approve', at: NOW - 1 }],
    });
    expect(closedBy(open, 'incident-1', NOW, 'approve')).toMatchObject({
      status: 'closed',
      answers: [
        { user: 'U01ALICE', decision: 'approve', at: NOW - 1 },
        { user: 'incident-1', decision: 'approve', at: NOW },
      ],
    });
  });

  it('an abort journals the name of whoever asked, when Slack sent one', () => {
    const { journal } = closeForAbort(gateOf('approval'), 'U01ALICE', NOW, 'alice');
    expect(journal[0]?.data).toMatchObject({ users: ['U01ALICE'], names: { U01ALICE: 'alice' } });
    expectWritable(journal);
  });

  it.each([
    ['open, at its expiry', gateOf('approval', { expiresAt: NOW }), true],
    ['open, before its expiry', gateOf('approval', { expiresAt: NOW + 1 }), false],
    [
      'closed, past its expiry',
      gateOf('approval', { expiresAt: NOW - 1, status: 'closed' }),
      false,
    ],
    ['expired already', gateOf('approval', { expiresAt: NOW - 1, status: 'expired' }), false],
  ] as const)('a gate %s is due: %s', (_what, gate, due) => {
    expect(isDue(gate, NOW)).toBe(due);
  });

  it('an expired gate is journaled with its id and kind, one shape wherever it expires', () => {
    const { gate, journal } = expire(gateOf('sign-off'));
    expect(gate.status).toBe('expired');
    expect(journal).toEqual([
      expect.objectContaining({
        type: 'gate-expired',
        data: { gateId: gate.gateId, kind: 'sign-off' },
      }),
    ]);
    expectWritable(journal);
  });
});

describe('applyDecision', () => {
  const failed = record({ failedServers: ['app-02'] });
  const failedWhole = record();
  // kind, decision, step, record, execution patch, step status (or none), journal types
  const table = [
    ['approval', 'approve', gateStep, undefined, undefined, 'done', ['step-finished']],
    ['sign-off', 'approve', gateStep, undefined, undefined, 'done', ['step-finished']],
    ['manual', 'done', gateStep, undefined, undefined, 'done', ['step-finished']],
    ['approval', 'reject', gateStep, undefined, { abortRequested: true }, undefined, []],
    ['sign-off', 'reject', gateStep, undefined, { abortRequested: true }, undefined, []],
    ['manual', 'abort', gateStep, undefined, { abortRequested: true }, undefined, []],
    ['decision', 'abort', waveStep, failed, { abortRequested: true }, undefined, []],
    ['decision', 'retry', waveStep, failed, undefined, 'failed', []],
    [
      'decision',
      'continue',
      waveStep,
      failed,
      { excluded: ['old-01', 'app-02'] },
      'failed',
      ['servers-excluded'],
    ],
    [
      'decision',
      'continue',
      waveStep,
      failedWhole,
      { excluded: ['old-01'] },
      'skipped',
      ['servers-excluded', 'step-finished'],
    ],
    [
      'pause',
      'resume',
      waveStep,
      undefined,
      { pauseRequested: false, status: 'running' },
      undefined,
      [],
    ],
    ['pause', 'abort', waveStep, undefined, { abortRequested: true }, undefined, []],
    ['approval', 'expired', gateStep, undefined, { abortRequested: true }, undefined, []],
    ['decision', 'expired', waveStep, failed, { abortRequested: true }, undefined, []],
  ] as const;

  it('covers every decision of every kind, and expiry', () => {
    const covered = new Set(table.map(([kind, decision]) => `${kind}:${decision}`));
    for (const kind of Object.keys(GATE_DECISIONS) as GateKind[])
      for (const decision of GATE_DECISIONS[kind]) expect(covered).toContain(`${kind}:${decision}`);
  });

  it.each(table)(
    'a %s decided %s on %s (record %o): execution %o, step %s, journal %o',
    (kind, decision, step, rec, patch, status, types) => {
      // Act
      const changes = applyDecision({
        execution,
        step,
        ...(rec ? { record: rec } : {}),
        kind,
        decision,
        now: NOW,
      });
      // Assess
      expect(changes.execution).toEqual(patch);
      expect(changes.step?.status).toBe(status);
      expect(changes.journal.map((e) => e.type)).toEqual(types);
      expect(changes.gate).toBeUndefined();
      expectWritable(changes.journal);
    },
  );

  it('restarts a retried or continued step as its next attempt, keeping its progress', () => {
    for (const decision of ['retry', 'continue'] as const) {
      const { step } = applyDecision({
        execution,
        step: waveStep,
        record: failed,
        kind: 'decision',
        decision,
        now: NOW,
      });
      expect(step).toMatchObject({
        attempt: 2,
        progress: failed.progress,
        startedAt: failed.startedAt,
        message: `restarting after ${decision}`,
      });
      expect(step?.endedAt).toBeUndefined();
    }
  });

  it('ends a gate step done at the decision, from when it started', () => {
    const started = { ...record(), stepId: gateStep.id, status: 'running' as const, attempt: 1 };
    const { step } = applyDecision({
      execution,
      step: gateStep,
      record: started,
      kind: 'approval',
      decision: 'approve',
      now: NOW,
    });
    expect(step).toMatchObject({
      status: 'done',
      startedAt: started.startedAt,
      endedAt: NOW,
      message: 'approval: approve',
    });
  });

  it('expires the gate still open when the state machine stopped waiting, and journals it once', () => {
    const open = gateOf('sign-off');
    const changes = applyDecision({
      execution,
      step: gateStep,
      kind: 'sign-off',
      decision: 'expired',
      openGate: open,
      now: NOW,
    });
    expect(changes).toMatchObject({
      execution: { abortRequested: true },
      gate: { gateId: open.gateId, status: 'expired' },
    });
    expect(changes.journal).toEqual([
      expect.objectContaining({
        type: 'gate-expired',
        data: { gateId: open.gateId, kind: 'sign-off' },
      }),
    ]);
  });
});
