import { beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../../orchestrator/domain/incident.ts';
import {
  buildIncidentReport,
  type IncidentChildRun,
  type IncidentReport,
  IncidentReportSchema,
} from '../../../orchestrator/domain/incident-report.ts';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  incidentJournal,
  incidentRecord,
  incidentRuns,
} from '../../fixtures/incident-runs.ts';
import { at, RunBuilder, T0, tinyRunbook } from '../../fixtures/report-runs.ts';

const LIMITS = { jobs: 2, servers: 2 };
let runs: Map<string, IncidentChildRun>;
let report: IncidentReport;

beforeAll(async () => {
  runs = await incidentRuns();
  report = buildIncidentReport({
    incident: incidentRecord(),
    runs,
    journal: incidentJournal(),
    limits: LIMITS,
    now: at(3100),
  });
});

const planOf = (r: IncidentReport, id: string) => {
  const plan = r.plans.find((p) => p.customerId === id);
  if (!plan) throw new Error(`no plan ${id}`);
  return plan;
};

/** A point of the series as seconds after T0. */
const points = (r: IncidentReport, account: string) =>
  r.accounts
    .find((a) => a.account === account)
    ?.series.map((p) => [(Date.parse(p.at) - T0) / 1000, p.jobs, p.servers, p.waiting]);

describe('buildIncidentReport', () => {
  it('is valid against its schema and dated by the clock it is given', () => {
    // Assess
    expect(IncidentReportSchema.parse(report)).toEqual(report);
    expect(report.generatedAt).toBe('2025-03-01T02:51:40.000Z');
    expect(report.schemaVersion).toBe(1);
  });

  it.each([
    // id, position, state, outcome, rto (s, met), rpo (s, met), missed measures, converted, waited
    ['alpha', 1, 'succeeded', 'succeeded', [1890, true], [30, true], [], false, 10],
    ['bravo', 2, 'succeeded', 'succeeded', [2090, false], [100, true], ['rto'], false, 20],
    ['delta', 3, 'succeeded', 'succeeded', [1680, true], [1510, false], ['rpo'], true, 5],
    ['charlie', 4, 'held', null, [null, null], [null, null], ['outcome'], false, null],
    ['echo', 5, 'failed', 'failed', [null, false], [5, true], ['outcome', 'rto'], false, 30],
  ] as const)(
    'reports %s: place %i, %s, outcome %s, RTO %j, RPO %j, missed %j',
    (id, position, state, outcome, rto, rpo, missed, converted, waited) => {
      // Act
      const plan = planOf(report, id);
      // Assess
      expect(plan.order.position).toBe(position);
      expect(plan.state).toBe(state);
      expect(plan.outcome).toBe(outcome);
      expect([plan.rto.seconds, plan.rto.met]).toEqual(rto);
      expect([plan.rpo.seconds, plan.rpo.met]).toEqual(rpo);
      expect(plan.missed.map((m) => m.measure)).toEqual(missed);
      expect(plan.convertedFromDrill).toBe(converted);
      expect(plan.waitedToStartSeconds).toBe(waited);
    },
  );

  it('takes RTO and RPO against the targets of each child run, with the plan order and what it waited for', () => {
    const charlie = planOf(report, 'charlie');
    expect(charlie.order).toEqual({
      position: 4,
      level: 1,
      after: [{ plan: 'alpha', wave: 'database' }],
    });
    expect(planOf(report, 'bravo').rto).toMatchObject({ target: 1800, targetText: '30m' });
    expect(planOf(report, 'delta').operation).toBe('drill');
    expect(planOf(report, 'echo').endedAt).toBe(new Date(at(2200)).toISOString());
  });

  it('says why a plan missed its RTO: its longest wave and its wait for DRS room, behind whom', () => {
    const [miss] = planOf(report, 'bravo').missed;
    expect(miss?.reason).toContain('RTO 34m50s over its target of 30m');
    expect(miss?.reason).toContain('longest wave was application (13m)');
    expect(miss?.reason).toContain(`waited 3m5s for room in account ${ACCOUNT_A}`);
    expect(miss?.reason).toContain('behind alpha');
    expect(planOf(report, 'bravo').admission).toEqual({
      waitedSeconds: 185,
      waits: [{ wave: 'application', seconds: 185, behind: 'alpha' }],
    });
  });

  it('says why a plan missed its RPO (the age of its data) and why one was held or failed (its note, its run)', () => {
    expect(planOf(report, 'delta').missed[0]?.reason).toMatch(
      /RPO 25m10s over its target of 15m; the data of tiny-db-01 dates from 2025-03-01 01:28:20 UTC; pre-flight expected 25m/,
    );
    expect(planOf(report, 'charlie').missed[0]?.reason).toBe(
      'Held: A failback into us-east-1 (charlie-failback) was under way: it is aborted.',
    );
    expect(planOf(report, 'echo').missed[0]?.reason).toBe('Failed: Validation smoke failed');
  });

  it('lists capacity substitutions by server, and says which drill became a failover', () => {
    expect(planOf(report, 'bravo').substitutions).toEqual([
      {
        server: 'tiny-app-01',
        wave: 'application',
        from: 'r6i.large',
        to: 'r6i.xlarge',
        reason: 'LAUNCH_FAILED: InsufficientInstanceCapacity',
      },
    ]);
    expect(report.totals.substitutions).toBe(1);
    expect(report.notes.join('\n')).toContain(
      'Delta Health was in a drill when us-east-1 was lost',
    );
  });

  it('measures the makespan from the approval to the last plan end, and takes a lower bound only when given', () => {
    expect(report.makespan).toEqual({
      seconds: 2200,
      text: '36m40s',
      lastPlan: 'echo',
      lowerBound: null,
      ratio: null,
    });
    const bounded = buildIncidentReport({
      incident: incidentRecord(),
      runs,
      limits: LIMITS,
      lowerBound: { seconds: 2000, source: 'bench: DRS floor of account 111111111111' },
      now: at(3100),
    });
    expect(bounded.makespan.ratio).toBe(1.1);
    expect(bounded.makespan.lowerBound?.text).toBe('33m20s');
  });

  it('names the requester and the approvers (with their time) where the journals know them', () => {
    expect(report.requestedBy).toEqual({ user: 'U01ALICE', name: 'alice' });
    expect(report.approvedBy).toEqual([
      { user: 'U02BOB', name: 'bob', at: new Date(at(-120)).toISOString() },
      { user: 'U04DAVE', name: null, at: new Date(at(-2)).toISOString() },
    ]);
  });

  it("follows each account's DRS budget: a job holds its servers until the last is launched, failed or relaunched", () => {
    // Assess: seconds after T0, jobs, servers in jobs, servers waiting for room
    expect(points(report, ACCOUNT_A)).toEqual([
      [0, 0, 0, 0],
      [165, 1, 1, 0],
      [175, 2, 2, 0],
      [400, 1, 1, 0],
      [420, 0, 0, 0],
      [705, 1, 2, 0],
      [725, 1, 2, 2],
      [910, 0, 0, 0],
      [915, 1, 2, 0],
      [1110, 0, 0, 0],
      [1115, 1, 1, 0],
      [1300, 0, 0, 0],
      [1365, 1, 1, 0],
      [1500, 0, 0, 0],
      [1565, 1, 1, 0],
      [1700, 0, 0, 0],
      [3000, 0, 0, 0],
    ]);
    const a = report.accounts.find((x) => x.account === ACCOUNT_A);
    expect(a).toMatchObject({
      plans: ['alpha', 'bravo'],
      limits: LIMITS,
      peak: { jobs: 2, servers: 2 },
      withinBudget: true,
      jobsStarted: 7,
      waitedSeconds: 185,
    });
  });

  it('starts a series at the first job when a converted drill held DRS room before the approval', () => {
    // Assess: delta's jobs from -275 s; echo's journaled without their step (found by their wave)
    expect(points(report, ACCOUNT_B)).toEqual([
      [-275, 1, 1, 0],
      [-100, 0, 0, 0],
      [205, 1, 2, 0],
      [410, 0, 0, 0],
      [425, 1, 1, 0],
      [600, 0, 0, 0],
      [825, 1, 1, 0],
      [905, 2, 3, 0],
      [950, 1, 2, 0],
      [1110, 0, 0, 0],
      [1565, 1, 1, 0],
      [1700, 0, 0, 0],
      [3000, 0, 0, 0],
    ]);
    expect(report.accounts.find((x) => x.account === ACCOUNT_B)).toMatchObject({
      plans: ['delta', 'charlie', 'echo'],
      peak: { jobs: 2, servers: 3 },
      withinBudget: false,
    });
  });

  it('flags an account whose runs went over the budget', () => {
    const tight = buildIncidentReport({
      incident: incidentRecord(),
      runs,
      limits: { jobs: 1, servers: 1 },
      now: at(3100),
    });
    const a = tight.accounts.find((x) => x.account === ACCOUNT_A);
    expect(a?.withinBudget).toBe(false);
    expect(tight.notes.join('\n')).toContain(
      `Account ${ACCOUNT_A} (us-east-2) went over its DRS budget: 2 jobs and 2 servers at the peak, against 1 and 1.`,
    );
  });

  it.each<[string, (i: Incident) => Incident, (r: IncidentReport) => unknown, unknown]>([
    [
      'a run that cannot be read is named, its figures left out',
      (i) => i,
      (r) => [
        planOf(r, 'alpha').rto.met,
        r.notes.some((n) => n.includes('runs of alpha could not be read')),
      ],
      [null, true],
    ],
    [
      'an incident never approved has no makespan',
      (i) => ({ ...i, approvedAt: undefined, approvedBy: [] }),
      (r) => [r.makespan.seconds, r.approvedAt],
      [null, null],
    ],
    [
      'an aborted incident names who aborted it',
      (i) => ({ ...i, status: 'aborted', abortRequested: true, abortRequestedBy: 'U05ERIN' }),
      (r) => r.abortedBy,
      { user: 'U05ERIN', name: null },
    ],
    [
      'a plan still running when the incident ended missed its outcome',
      (i) => ({
        ...i,
        plans: i.plans.map((p) =>
          p.customerId === 'charlie' ? { ...p, state: 'running', note: undefined } : p,
        ),
      }),
      (r) => planOf(r, 'charlie').missed[0]?.reason,
      'Running: still running when the incident ended',
    ],
  ])('%s', (_name, patch, pick, expected) => {
    // Prepare
    const partial = new Map(runs);
    partial.delete('alpha');
    // Act
    const r = buildIncidentReport({
      incident: patch(incidentRecord()),
      runs: partial,
      limits: LIMITS,
      now: at(3100),
    });
    // Assess
    expect(pick(r)).toEqual(expected);
  });
});

describe("buildIncidentReport: how long a DRS job holds the account's budget", () => {
  const W1 = 'failover.wave-1-database.recover';
  const wave = { wave: 'database', direction: 'to-recovery' } as const;
  const job = (b: RunBuilder, s: number, servers: string[], id = 'drsjob-1') =>
    b.entry(s, 'drs-job-started', { jobId: id, wave: 'database', servers }, W1);

  it.each<[string, (b: RunBuilder) => void, number | undefined, number[][]]>([
    [
      'until its wave step ends when its servers never launched',
      (b) => {
        b.step(W1, 100, 500, 'failed');
        job(b, 105, ['tiny-db-01', 'tiny-app-01']);
      },
      900,
      [
        [0, 0, 0, 0],
        [105, 1, 2, 0],
        [500, 0, 0, 0],
        [1000, 0, 0, 0],
      ],
    ],
    [
      'until its run ends when the run was aborted mid-wave',
      (b) => {
        b.start(W1, 100);
        job(b, 105, ['tiny-db-01']);
        b.entry(700, 'execution-finished', { outcome: 'aborted', reportFiles: {} });
      },
      700,
      [
        [0, 0, 0, 0],
        [105, 1, 1, 0],
        [700, 0, 0, 0],
        [1000, 0, 0, 0],
      ],
    ],
    [
      'until the end of the report when the run is still going',
      (b) => {
        b.start(W1, 100);
        job(b, 105, ['tiny-db-01']);
      },
      undefined,
      [
        [0, 0, 0, 0],
        [105, 1, 1, 0],
        [1000, 1, 1, 0],
      ],
    ],
    [
      'until its last server launched or failed, and a wait for room until its grant',
      (b) => {
        b.start(W1, 100)
          .entry(
            101,
            'admission-waiting',
            {
              account: ACCOUNT_A,
              region: 'us-east-2',
              wave: 'database',
              servers: ['tiny-db-01', 'tiny-app-01'],
              reason: 'jobs',
              position: 2,
            },
            W1,
          )
          .entry(
            160,
            'admission-granted',
            {
              account: ACCOUNT_A,
              region: 'us-east-2',
              wave: 'database',
              servers: ['tiny-db-01', 'tiny-app-01'],
              token: 3,
              waitedSeconds: 59,
            },
            W1,
          );
        job(b, 160, ['tiny-db-01', 'tiny-app-01']);
        b.entry(
          300,
          'server-failed',
          { ...wave, server: 'tiny-app-01', reason: 'LAUNCH_FAILED', critical: true },
          W1,
        ).entry(
          400,
          'server-launched',
          {
            ...wave,
            server: 'tiny-db-01',
            recoveryInstanceId: 'i-1',
            launchedAt: at(390),
            dataAt: at(0),
          },
          W1,
        );
      },
      undefined,
      [
        [0, 0, 0, 0],
        [101, 0, 0, 2],
        [160, 1, 2, 0],
        [400, 0, 0, 0],
        [1000, 0, 0, 0],
      ],
    ],
    [
      'until the server joins a new job (DRS runs one job per server)',
      (b) => {
        b.start(W1, 100);
        job(b, 105, ['tiny-db-01'], 'drsjob-1');
        job(b, 200, ['tiny-db-01'], 'drsjob-2');
      },
      250,
      [
        [0, 0, 0, 0],
        [105, 1, 1, 0],
        [250, 0, 0, 0],
        [1000, 0, 0, 0],
      ],
    ],
  ])('%s', async (_name, journal, endedAt, expected) => {
    // Prepare
    const b = new RunBuilder(await tinyRunbook('failover'));
    journal(b);
    const incident = incidentRecord({ endedAt: at(1000) });
    incident.plans = incident.plans.filter((p) => p.customerId === 'alpha');
    const run = b.input(1000, {
      executionId: 'alpha-run',
      customerId: 'alpha',
      ...(endedAt !== undefined ? { endedAt: at(endedAt), status: 'aborted' as const } : {}),
    });
    // Act
    const r = buildIncidentReport({
      incident,
      runs: new Map([['alpha', run]]),
      limits: LIMITS,
      now: at(1000),
    });
    // Assess
    expect(points(r, ACCOUNT_A)).toEqual(expected);
  });
});
