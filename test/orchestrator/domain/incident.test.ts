import { describe, expect, it } from 'vitest';
import {
  advanceIncident,
  asFailover,
  type ChildView,
  cancelForFailover,
  type Incident,
  type IncidentPlan,
  incidentEnded,
  incidentPlans,
} from '../../../orchestrator/domain/incident.ts';
import { planRunbook } from '../../../orchestrator/domain/plan-runbook.ts';
import { readSample } from '../../helpers.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');

/** A plan of the incident: `id`, start priority, what it waits for, its state. */
function plan(
  customerId: string,
  startPriority: number,
  options: Partial<IncidentPlan> = {},
): IncidentPlan {
  return {
    customerId,
    name: customerId.toUpperCase(),
    kind: customerId.startsWith('shared') ? 'shared-services' : 'customer',
    priority: startPriority,
    startPriority,
    level: options.waitsFor?.length ? 1 : 0,
    waitsFor: [],
    recoveryRegion: 'us-east-2',
    account: '410000000101',
    servers: 10,
    largestWave: 4,
    targets: { rpoSeconds: 900, rtoSeconds: 14_400 },
    state: 'waiting',
    ...options,
  };
}

function incident(plans: IncidentPlan[], options: Partial<Incident> = {}): Incident {
  return {
    schemaVersion: 1,
    incidentId: 'incident-us-east-1-20261206-120000-ab12',
    region: 'us-east-1',
    executionRegion: 'us-west-2',
    operation: 'failover',
    requestedBy: 'U01ALICE',
    channel: 'C0DROPS',
    status: 'running',
    createdAt: NOW,
    approvedBy: ['U02BOB', 'U04DAVE'],
    approvedByNames: {},
    abortRequested: false,
    plans,
    ...options,
  };
}

const child = (status: ChildView['status'], wavesDone: string[] = [], lockFree = false) => ({
  status,
  wavesDone,
  lockFree,
});

/** The actions as `kind:customer`, and each plan as `customer=state`. */
function summary(result: ReturnType<typeof advanceIncident>) {
  return {
    actions: result.actions.map((a) => `${a.kind}:${a.customerId}`),
    states: result.plans.map((p) => `${p.customerId}=${p.state}`).join(' '),
    done: result.done,
    status: result.status,
  };
}

describe('advanceIncident', () => {
  const ROWS: [
    what: string,
    plans: IncidentPlan[],
    children: Record<string, ChildView>,
    max: number,
    expected: ReturnType<typeof summary>,
  ][] = [
    [
      'starts what waits for nothing, most urgent first, up to the limit',
      [plan('c', 3), plan('a', 1), plan('b', 2)],
      {},
      2,
      {
        actions: ['start:a', 'start:b'],
        states: 'c=waiting a=running b=running',
        done: false,
        status: 'running',
      },
    ],
    [
      'a plan after another waits until that one succeeded',
      [
        plan('shared', 1, { state: 'running', executionId: 'r-shared' }),
        plan('a', 1, { waitsFor: [{ plan: 'shared' }] }),
      ],
      { shared: child('running', ['network']) },
      10,
      { actions: [], states: 'shared=running a=waiting', done: false, status: 'running' },
    ],
    [
      'and starts once it has',
      [
        plan('shared', 1, { state: 'running', executionId: 'r-shared' }),
        plan('a', 1, { waitsFor: [{ plan: 'shared' }] }),
      ],
      { shared: child('succeeded') },
      10,
      {
        actions: ['start:a'],
        states: 'shared=succeeded a=running',
        done: false,
        status: 'running',
      },
    ],
    [
      'a plan after a named wave starts once that wave is done',
      [
        plan('shared', 1, { state: 'running', executionId: 'r-shared' }),
        plan('a', 1, { waitsFor: [{ plan: 'shared', wave: 'network' }] }),
      ],
      { shared: child('running', ['network']) },
      10,
      {
        actions: ['start:a'],
        states: 'shared=running a=running',
        done: false,
        status: 'running',
      },
    ],
    [
      'a plan after one that failed is held, and the rest go on',
      [
        plan('shared', 1, { state: 'running', executionId: 'r-shared' }),
        plan('a', 1, { waitsFor: [{ plan: 'shared' }] }),
        plan('b', 3),
      ],
      { shared: child('failed') },
      10,
      {
        actions: ['start:b'],
        states: 'shared=failed a=held b=running',
        done: false,
        status: 'running',
      },
    ],
    [
      'an after naming a plan outside the incident is met',
      [plan('a', 1, { waitsFor: [{ plan: 'elsewhere' }] })],
      {},
      10,
      { actions: ['start:a'], states: 'a=running', done: false, status: 'running' },
    ],
    [
      'ends succeeded when every plan recovered',
      [
        plan('a', 1, { state: 'running', executionId: 'r-a' }),
        plan('b', 2, { state: 'succeeded' }),
      ],
      { a: child('succeeded') },
      10,
      { actions: [], states: 'a=succeeded b=succeeded', done: true, status: 'succeeded' },
    ],
    [
      'ends failed when one plan was aborted or held',
      [plan('a', 1, { state: 'running', executionId: 'r-a' }), plan('b', 2, { state: 'held' })],
      { a: child('succeeded') },
      10,
      { actions: [], states: 'a=succeeded b=held', done: true, status: 'failed' },
    ],
    [
      'a drill going on continues as a failover: converted and followed, not started again',
      [
        plan('a', 1, {
          existing: {
            executionId: 'drill-a',
            operation: 'drill',
            failedOver: true,
            handling: 'continue-as-failover',
          },
        }),
      ],
      {},
      10,
      { actions: ['convert:a'], states: 'a=running', done: false, status: 'running' },
    ],
    [
      'a bubble drill is aborted, and the failover waits until its run let go of the customer',
      [
        plan('a', 1, {
          existing: {
            executionId: 'bubble-a',
            operation: 'bubble-drill',
            failedOver: false,
            handling: 'abort-then-failover',
          },
        }),
      ],
      {},
      10,
      { actions: ['abort:a'], states: 'a=waiting', done: false, status: 'running' },
    ],
    [
      'a failback into the lost region is aborted and the plan held for a person',
      [
        plan('a', 1, {
          existing: {
            executionId: 'failback-a',
            operation: 'failback',
            failedOver: false,
            handling: 'abort-and-hold',
          },
        }),
      ],
      {},
      10,
      { actions: ['abort:a'], states: 'a=held', done: true, status: 'failed' },
    ],
  ];

  it.each(ROWS)('%s', (_what, plans, children, max, expected) => {
    // Act
    const result = advanceIncident(incident(plans), new Map(Object.entries(children)), NOW, max);
    // Assess
    expect(summary(result)).toEqual(expected);
  });

  it('starts the replacing failover once the aborted bubble drill has let go', () => {
    // Prepare: the first look sent the abort
    const first = advanceIncident(
      incident([
        plan('a', 1, {
          existing: {
            executionId: 'bubble-a',
            operation: 'bubble-drill',
            failedOver: false,
            handling: 'abort-then-failover',
          },
        }),
      ]),
      new Map(),
      NOW,
      10,
    );
    // Act: the drill still holds the lock, then lets go
    const held = advanceIncident(
      incident(first.plans),
      new Map([['a', child('running')]]),
      NOW + 30_000,
      10,
    );
    const freed = advanceIncident(
      incident(held.plans),
      new Map([['a', child('aborted', [], true)]]),
      NOW + 60_000,
      10,
    );
    // Assess: the abort is sent once, and the start comes only after
    expect(summary(held).actions).toEqual([]);
    expect(summary(freed).actions).toEqual(['start:a']);
  });

  it('on abort starts nothing more, aborts the running children, and ends once they have', () => {
    // Prepare
    const plans = [
      plan('a', 1, { state: 'running', executionId: 'r-a' }),
      plan('b', 2),
      plan('c', 3, { state: 'succeeded' }),
    ];
    // Act
    const aborting = advanceIncident(
      incident(plans, { abortRequested: true }),
      new Map([['a', child('running')]]),
      NOW,
      10,
    );
    const ended = advanceIncident(
      incident(aborting.plans, { abortRequested: true }),
      new Map([['a', child('aborted')]]),
      NOW + 30_000,
      10,
    );
    // Assess
    expect(summary(aborting)).toEqual({
      actions: ['abort:a'],
      states: 'a=running b=aborted c=succeeded',
      done: false,
      status: 'running',
    });
    expect(summary(ended)).toMatchObject({ done: true, status: 'aborted' });
  });

  it('looks often while plans wait to start, and seldom once all have started', () => {
    const waiting = advanceIncident(
      incident([plan('a', 1, { waitsFor: [{ plan: 'b' }] }), plan('b', 1)]),
      new Map(),
      NOW,
      10,
    );
    const following = advanceIncident(incident([plan('a', 1)]), new Map(), NOW, 10);
    expect(waiting.waitSeconds).toBeLessThan(following.waitSeconds);
  });
});

describe('incidentPlans', () => {
  it('lists the lost region’s plans in recovery order, shared services first, with their sizes', async () => {
    // Prepare
    const plans = await Promise.all(
      ['bcbsaz', 'nwhealth', 'dmnt', 'shared-east', 'shared-west'].map(readSample),
    );
    // Act
    const ordered = incidentPlans(plans, 'us-east-1');
    // Assess
    expect(ordered[0]?.customerId).toBe('shared-east');
    expect(ordered.map((p) => p.customerId)).not.toContain('shared-west');
    const bcbsaz = ordered.find((p) => p.customerId === 'bcbsaz');
    expect(bcbsaz).toMatchObject({ servers: 44, state: 'waiting', account: '410000000101' });
    expect(bcbsaz?.waitsFor).toEqual([{ plan: 'shared-east' }]);
  });
});

describe('cancelForFailover', () => {
  it('cancels a drill’s sign-off and failback, keeps its report, and refuses once failback began', async () => {
    // Prepare
    const runbook = planRunbook(await readSample('bcbsaz'), 'drill');
    const failback = runbook.steps.find((s) => s.phase === 'failback');
    // Act
    const cancelled = cancelForFailover(runbook, new Map()) ?? [];
    const late = cancelForFailover(
      runbook,
      new Map([[String(failback?.id), { status: 'running' }]]),
    );
    // Assess
    expect(cancelled).toContain('sign-off');
    expect(cancelled).toContain(failback?.id);
    expect(cancelled).not.toContain('report');
    expect(
      runbook.steps.filter((s) => !cancelled.includes(s.id)).some((s) => s.phase === 'failback'),
    ).toBe(false);
    expect(late).toBeUndefined();
  });
});

describe('asFailover', () => {
  it('gives a drill the failover’s best-effort rule for what needs the lost primary, and nothing else', async () => {
    // Prepare
    const plan = await readSample('bcbsaz');
    const drill = planRunbook(plan, 'drill');
    // Act
    const converted = asFailover(drill, planRunbook(plan, 'failover'));
    // Assess
    const lenient = converted.steps.filter((s) => s.bestEffort).map((s) => s.id);
    expect(lenient).toContain('failover.stop-sources');
    expect(lenient).toContain('failover.reverse-replication');
    expect(drill.steps.filter((s) => s.bestEffort)).toEqual([]);
    expect(converted.steps.map((s) => s.id)).toEqual(drill.steps.map((s) => s.id));
    expect(converted.steps.find((s) => s.kind === 'recover-wave')?.bestEffort).toBe(false);
  });
});

describe('incidentEnded', () => {
  it.each([
    ['preparing', false],
    ['awaiting-approval', false],
    ['running', false],
    ['succeeded', true],
    ['rejected', true],
  ] as const)('%s -> %s', (status, ended) => {
    expect(incidentEnded(status)).toBe(ended);
  });
});
