import { describe, expect, it } from 'vitest';
import {
  ADMISSION_LEASE_MS,
  type AdmissionRequest,
  type BudgetState,
  budgetLimits,
  decideAdmission,
  describeWait,
  emptyBudget,
  type Lease,
  releaseLease,
  renewLease,
  type Waiting,
} from '../../../orchestrator/domain/admission.ts';
import { DEFAULT_SETTINGS, RunbookSettingsSchema } from '../../../orchestrator/domain/settings.ts';

const NOW = Date.parse('2026-11-22T03:00:00Z');
const KEY = { account: '111122223333', region: 'us-east-2' } as const;

function ask(runId: string, servers: number, priority = 3, job = 'web-01'): AdmissionRequest {
  return { ...KEY, runId, customerId: runId, priority, servers, job };
}

function lease(token: number, runId: string, servers: number, expiresAt = NOW + 60_000): Lease {
  return {
    token,
    runId,
    customerId: runId,
    job: `job-${token}`,
    priority: 3,
    servers,
    grantedAt: NOW - 60_000,
    expiresAt,
  };
}

function waiting(runId: string, servers: number, priority: number, since: number): Waiting {
  return {
    runId,
    customerId: runId,
    job: 'web-01',
    priority,
    servers,
    since,
    expiresAt: NOW + 60_000,
  };
}

function budget(
  limits: { jobs: number; servers: number },
  leases: Lease[] = [],
  queue: Waiting[] = [],
): BudgetState {
  return { ...emptyBudget(limits), lastToken: 10, leases, waiting: queue };
}

describe('budgetLimits', () => {
  it.each([
    ['DRS quotas by default', {}, { jobs: 20, servers: 500 }],
    [
      'lowered in the settings',
      { maxConcurrentJobs: 2, maxServersInActiveJobs: 6 },
      { jobs: 2, servers: 6 },
    ],
  ])('%s', (_, settings, expected) => {
    // Act & Assess
    expect(budgetLimits(RunbookSettingsSchema.parse(settings))).toEqual(expected);
  });

  it('never goes above DRS quotas', () => {
    // Act
    const limits = budgetLimits({ maxConcurrentJobs: 50, maxServersInActiveJobs: 900 });
    // Assess
    expect(limits).toEqual(budgetLimits(DEFAULT_SETTINGS));
  });
});

describe('decideAdmission', () => {
  it.each<
    [
      string,
      BudgetState,
      AdmissionRequest,
      { kind: 'grant'; token: number } | { kind: 'wait'; reason: string; position: number },
    ]
  >([
    [
      'an empty budget grants token 1',
      emptyBudget({ jobs: 2, servers: 10 }),
      ask('a', 5),
      { kind: 'grant', token: 1 },
    ],
    [
      'room left grants the next token',
      budget({ jobs: 2, servers: 10 }, [lease(4, 'b', 5)]),
      ask('a', 5),
      { kind: 'grant', token: 11 },
    ],
    [
      'every job slot taken: waits for jobs',
      budget({ jobs: 1, servers: 10 }, [lease(1, 'b', 1)]),
      ask('a', 1),
      { kind: 'wait', reason: 'jobs', position: 1 },
    ],
    [
      'too few servers left: waits for servers',
      budget({ jobs: 5, servers: 10 }, [lease(1, 'b', 8)]),
      ask('a', 3),
      { kind: 'wait', reason: 'servers', position: 1 },
    ],
    [
      'exactly the servers left: granted',
      budget({ jobs: 5, servers: 10 }, [lease(1, 'b', 7)]),
      ask('a', 3),
      { kind: 'grant', token: 11 },
    ],
    [
      'an expired lease no longer counts: its holder died',
      budget({ jobs: 1, servers: 10 }, [lease(1, 'b', 10, NOW - 1)]),
      ask('a', 10),
      { kind: 'grant', token: 11 },
    ],
    [
      'a lease expiring exactly now no longer counts',
      budget({ jobs: 1, servers: 10 }, [lease(1, 'b', 10, NOW)]),
      ask('a', 10),
      { kind: 'grant', token: 11 },
    ],
    [
      'a higher priority waiting that does not fit: a lower one does not overtake',
      budget({ jobs: 5, servers: 10 }, [lease(1, 'b', 6)], [waiting('p1', 5, 1, NOW - 10)]),
      ask('p5', 2, 5),
      { kind: 'wait', reason: 'queued', position: 2 },
    ],
    [
      'a higher priority waiting that fits keeps its room: the lower one takes what is left',
      budget({ jobs: 5, servers: 10 }, [lease(1, 'b', 2)], [waiting('p1', 5, 1, NOW - 10)]),
      ask('p5', 3, 5),
      { kind: 'grant', token: 11 },
    ],
    [
      'a higher priority waiting that fits: a lower one that would take its room waits',
      budget({ jobs: 5, servers: 10 }, [lease(1, 'b', 2)], [waiting('p1', 5, 1, NOW - 10)]),
      ask('p5', 4, 5),
      { kind: 'wait', reason: 'servers', position: 2 },
    ],
    [
      'the last job slot is kept for the higher priority waiting',
      budget({ jobs: 2, servers: 10 }, [lease(1, 'b', 1)], [waiting('p1', 1, 1, NOW - 10)]),
      ask('p3', 1, 3),
      { kind: 'wait', reason: 'jobs', position: 2 },
    ],
    [
      'a higher priority arriving later goes before a lower one waiting longer',
      budget({ jobs: 5, servers: 10 }, [lease(1, 'b', 8)], [waiting('p5', 5, 5, NOW - 600_000)]),
      ask('p1', 2, 1),
      { kind: 'grant', token: 11 },
    ],
    [
      'equal priorities: first come first served',
      budget({ jobs: 5, servers: 10 }, [lease(1, 'b', 6)], [waiting('early', 5, 3, NOW - 10)]),
      ask('late', 2, 3),
      { kind: 'wait', reason: 'queued', position: 2 },
    ],
    [
      'equal priorities: the earlier request that fits is served, the later one is not starved of the rest',
      budget({ jobs: 5, servers: 10 }, [], [waiting('early', 5, 3, NOW - 10)]),
      ask('late', 5, 3),
      { kind: 'grant', token: 11 },
    ],
    [
      'a lower priority waiting does not hold back a higher one',
      budget({ jobs: 5, servers: 10 }, [lease(1, 'b', 6)], [waiting('p5', 10, 5, NOW - 10)]),
      ask('p2', 4, 2),
      { kind: 'grant', token: 11 },
    ],
    [
      'a queue place whose run stopped asking no longer counts',
      budget(
        { jobs: 5, servers: 10 },
        [lease(1, 'b', 6)],
        [{ ...waiting('gone', 5, 1, NOW - 10), expiresAt: NOW - 1 }],
      ),
      ask('p5', 4, 5),
      { kind: 'grant', token: 11 },
    ],
    [
      'position counts everyone before it',
      budget(
        { jobs: 1, servers: 10 },
        [lease(1, 'b', 1)],
        [waiting('x', 1, 1, NOW - 30), waiting('y', 1, 2, NOW - 20), waiting('z', 1, 4, NOW - 10)],
      ),
      ask('a', 1, 3),
      { kind: 'wait', reason: 'queued', position: 3 },
    ],
    [
      'a job larger than the whole budget runs alone when nothing else is active',
      emptyBudget({ jobs: 5, servers: 4 }),
      ask('a', 6),
      { kind: 'grant', token: 1 },
    ],
    [
      'a job larger than the whole budget waits while anything is active',
      budget({ jobs: 5, servers: 4 }, [lease(1, 'b', 1)]),
      ask('a', 6),
      { kind: 'wait', reason: 'servers', position: 1 },
    ],
  ])('%s', (_, state, request, expected) => {
    // Act
    const decision = decideAdmission(state, request, NOW);
    // Assess
    if (expected.kind === 'grant') {
      expect(decision.kind).toBe('grant');
      if (decision.kind !== 'grant') return;
      expect(decision.lease.token).toBe(expected.token);
      expect(decision.lease.expiresAt).toBe(NOW + ADMISSION_LEASE_MS);
      expect(decision.state.lastToken).toBe(expected.token);
      expect(decision.state.leases).toContainEqual(decision.lease);
      expect(decision.state.leases.every((l) => l.expiresAt > NOW)).toBe(true);
      expect(decision.state.waiting.some((w) => w.runId === request.runId)).toBe(false);
    } else {
      expect(decision).toMatchObject({
        kind: 'wait',
        reason: expected.reason,
        position: expected.position,
      });
      expect(decision.state.lastToken).toBe(state.lastToken);
      expect(decision.state.waiting.filter((w) => w.runId === request.runId)).toHaveLength(1);
    }
  });

  it('keeps a waiting request its place (since) when it asks again, and refreshes its expiry', () => {
    // Prepare
    const state = budget({ jobs: 1, servers: 10 }, [lease(1, 'b', 1)]);
    const first = decideAdmission(state, ask('a', 1), NOW);
    // Act
    const again = decideAdmission(first.state, ask('a', 1), NOW + 30_000);
    // Assess
    expect(again.state.waiting).toEqual([
      expect.objectContaining({
        runId: 'a',
        since: NOW,
        expiresAt: NOW + 30_000 + ADMISSION_LEASE_MS,
      }),
    ]);
  });

  it('gives a retried request for a job the lease it holds, renewed, not a second one', () => {
    // Prepare
    const first = decideAdmission(emptyBudget({ jobs: 5, servers: 10 }), ask('a', 2), NOW);
    // Act
    const again = decideAdmission(first.state, ask('a', 2), NOW + 1000);
    // Assess
    expect(again).toMatchObject({
      kind: 'grant',
      lease: { token: 1, expiresAt: NOW + 1000 + ADMISSION_LEASE_MS },
    });
    expect(again.state.leases).toHaveLength(1);
    expect(again.state.lastToken).toBe(1);
  });

  it('tokens only grow, even after every lease is freed', () => {
    // Prepare
    let state = emptyBudget({ jobs: 1, servers: 10 });
    const tokens: number[] = [];
    // Act
    for (const run of ['a', 'b', 'c']) {
      const decision = decideAdmission(state, ask(run, 1), NOW);
      if (decision.kind !== 'grant') throw new Error('expected a grant');
      tokens.push(decision.lease.token);
      state = releaseLease(decision.state, decision.lease.token, NOW).state;
    }
    // Assess
    expect(tokens).toEqual([1, 2, 3]);
    expect(state.leases).toEqual([]);
  });

  it('says why a request waits, where, and its position', () => {
    // Prepare
    const state = budget(
      { jobs: 5, servers: 10 },
      [lease(1, 'b', 6)],
      [waiting('bcbsaz', 5, 1, NOW - 10)],
    );
    // Act
    const decision = decideAdmission(state, ask('dmnt', 2, 5), NOW);
    // Assess
    if (decision.kind !== 'wait') throw new Error('expected a wait');
    expect(describeWait(decision, KEY)).toBe(
      'Waiting for DRS room in account 111122223333 (us-east-2): behind bcbsaz (priority 1); position 2 in the queue',
    );
  });
});

describe('renewLease and releaseLease', () => {
  const state = budget({ jobs: 5, servers: 10 }, [lease(3, 'a', 2), lease(4, 'b', 2, NOW - 1)]);

  it.each<[string, 'renew' | 'release', number, 'applied' | 'refused']>([
    ['renews a live lease', 'renew', 3, 'applied'],
    [
      'refuses to renew an expired lease: its room may be someone else’s now',
      'renew',
      4,
      'refused',
    ],
    ['refuses to renew a token never granted', 'renew', 99, 'refused'],
    ['releases a live lease', 'release', 3, 'applied'],
    ['refuses to release an expired lease', 'release', 4, 'refused'],
    ['refuses to release an older token that holds nothing', 'release', 1, 'refused'],
  ])('%s', (_, action, token, expected) => {
    // Act
    const change =
      action === 'renew' ? renewLease(state, token, NOW) : releaseLease(state, token, NOW);
    // Assess
    expect(change.kind).toBe(expected);
    expect(change.state.lastToken).toBe(state.lastToken);
  });

  it('a renewal moves the expiry on; a release frees the room and drops expired leases', () => {
    // Act
    const renewed = renewLease(state, 3, NOW + 1000);
    const released = releaseLease(state, 3, NOW);
    // Assess
    expect(renewed).toMatchObject({
      kind: 'applied',
      lease: { expiresAt: NOW + 1000 + ADMISSION_LEASE_MS },
    });
    expect(released.state.leases).toEqual([]);
  });

  it('a late holder whose lease expired cannot free the lease granted after it', () => {
    // Prepare: a's lease expired, b got the room with a newer token
    const expired = budget({ jobs: 1, servers: 10 }, [lease(1, 'a', 5, NOW - 1)]);
    const granted = decideAdmission(expired, ask('b', 5), NOW);
    if (granted.kind !== 'grant') throw new Error('expected a grant');
    // Act
    const late = releaseLease(granted.state, 1, NOW + 10);
    // Assess
    expect(late.kind).toBe('refused');
    expect(late.state.leases).toEqual([granted.lease]);
  });
});
