import { describe, expect, it } from 'vitest';
import { type BuildReportInput, buildReport } from '../../../orchestrator/domain/build-report.ts';
import { JournalEntrySchema } from '../../../orchestrator/domain/journal.ts';
import { describeTargets, type Report, ReportSchema } from '../../../orchestrator/domain/report.ts';
import {
  at,
  cleanDrill,
  failoverAborted,
  failoverNeverValidated,
  failoverRegionDown,
  failoverWithExclusions,
  failoverWithoutDisruption,
  failoverWithoutValidation,
  slowFailback,
} from '../../fixtures/report-runs.ts';

const iso = (s: number) => new Date(at(s)).toISOString();

interface Expected {
  disruption: [number, NonNullable<Report['disruption']>['source']];
  rto: number | null;
  rtoMet: boolean;
  measuredTo: Report['rto']['measuredTo'];
  withSignOff: number | null;
  rpo: number | null;
  rpoMet: boolean;
  worst: string | null;
  missing: string[];
  outcome: Report['outcome'];
}

const CASES: [string, () => Promise<BuildReportInput>, Expected][] = [
  [
    'a clean drill: validated 1790 s after the sources stopped, signed off at 9090 s',
    cleanDrill,
    {
      disruption: [310, 'stop-instances'],
      rto: 1790,
      rtoMet: true,
      measuredTo: 'validation',
      withSignOff: 9090,
      rpo: 5,
      rpoMet: true,
      worst: 'tiny-db-01',
      missing: [],
      outcome: 'succeeded',
    },
  ],
  [
    'a failover that continued without two failed critical servers',
    failoverWithExclusions,
    {
      disruption: [310, 'stop-instances'],
      rto: 1680,
      rtoMet: true,
      measuredTo: 'validation',
      withSignOff: null,
      rpo: 10,
      rpoMet: false,
      worst: 'tiny-db-01',
      missing: ['tiny-app-01', 'tiny-app-02'],
      outcome: 'succeeded-with-exclusions',
    },
  ],
  [
    'a failover with the primary region down, from the previous snapshots',
    failoverRegionDown,
    {
      disruption: [-600, 'region-down'],
      rto: 3290,
      rtoMet: true,
      measuredTo: 'validation',
      withSignOff: null,
      rpo: 420,
      rpoMet: true,
      worst: 'tiny-db-01',
      missing: [],
      outcome: 'succeeded',
    },
  ],
  [
    'a failover whose validation failed',
    failoverNeverValidated,
    {
      disruption: [310, 'stop-instances'],
      rto: null,
      rtoMet: false,
      measuredTo: null,
      withSignOff: null,
      rpo: 5,
      rpoMet: true,
      worst: 'tiny-db-01',
      missing: [],
      outcome: 'failed',
    },
  ],
  [
    'a failover aborted in wave 2, before any validation',
    failoverAborted,
    {
      disruption: [310, 'stop-instances'],
      rto: null,
      rtoMet: false,
      measuredTo: null,
      withSignOff: null,
      rpo: 5,
      rpoMet: false,
      worst: 'tiny-db-01',
      missing: ['tiny-app-01', 'tiny-app-02'],
      outcome: 'aborted',
    },
  ],
  [
    'a failover of a plan without validation: up when the last server is healthy',
    failoverWithoutValidation,
    {
      disruption: [310, 'stop-instances'],
      rto: 1570,
      rtoMet: true,
      measuredTo: 'servers-healthy',
      withSignOff: null,
      rpo: 5,
      rpoMet: true,
      worst: 'tiny-db-01',
      missing: [],
      outcome: 'succeeded',
    },
  ],
  [
    'a failover that journaled no disruption: from the first failover step',
    failoverWithoutDisruption,
    {
      disruption: [300, 'first-step'],
      rto: 1800,
      rtoMet: true,
      measuredTo: 'validation',
      withSignOff: null,
      rpo: 0,
      rpoMet: true,
      worst: 'tiny-db-01',
      missing: [],
      outcome: 'succeeded',
    },
  ],
  [
    'a failback validated on the primary after 5 h, over the 4 h target',
    slowFailback,
    {
      disruption: [330, 'stop-instances'],
      rto: 18_000,
      rtoMet: false,
      measuredTo: 'validation',
      withSignOff: null,
      rpo: 30,
      rpoMet: true,
      worst: 'tiny-app-01',
      missing: [],
      outcome: 'succeeded',
    },
  ],
];

describe('buildReport', () => {
  it.each(CASES)('measures %s', async (_, scenario, expected) => {
    // Prepare
    const input = await scenario();
    // Act
    const report = buildReport(input);
    // Assess
    expect(ReportSchema.parse(report)).toEqual(report);
    expect(report.disruption).toEqual({
      at: iso(expected.disruption[0]),
      source: expected.disruption[1],
    });
    expect(report.rto).toMatchObject({
      seconds: expected.rto,
      target: 14_400,
      targetText: '4h',
      met: expected.rtoMet,
      measuredTo: expected.measuredTo,
      withSignOffSeconds: expected.withSignOff,
    });
    expect(report.rpo).toMatchObject({
      seconds: expected.rpo,
      target: 900,
      met: expected.rpoMet,
      worstServer: expected.worst,
      missing: expected.missing,
    });
    expect(report.outcome).toBe(expected.outcome);
  });

  it('writes durations as text too', async () => {
    const report = buildReport(await cleanDrill());
    expect(report.rto.text).toBe('29m50s');
    expect(report.rto.withSignOffText).toBe('2h31m30s');
    expect(report.rpo.text).toBe('5s');
    expect(report.rpo.targetText).toBe('15m');
    expect(report.rto.validatedAt).toBe(iso(2100));
    expect(report.rto.signedOffAt).toBe(iso(9400));
  });

  it('lists every wave of a drill in order, each direction measured from its own disruption', async () => {
    // Act
    const report = buildReport(await cleanDrill());
    // Assess
    expect(report.waves.map((w) => `${w.direction} ${w.name} ${w.status}`)).toEqual([
      'to-recovery database done',
      'to-recovery application done',
      'to-recovery web done',
      'to-primary database done',
      'to-primary application done',
      'to-primary web done',
    ]);
    const rpo = (i: number) => report.waves[i]?.servers.map((s) => [s.name, s.rpoSeconds]);
    expect(rpo(1)).toEqual([
      ['tiny-app-01', 2],
      ['tiny-app-02', 0],
    ]);
    expect(rpo(4)).toEqual([
      ['tiny-app-01', 2],
      ['tiny-app-02', 1],
    ]);
    expect(report.waves[0]).toMatchObject({
      startedAt: iso(420),
      endedAt: iso(900),
      durationSeconds: 480,
      durationText: '8m',
      servers: [
        {
          name: 'tiny-db-01',
          critical: true,
          status: 'recovered',
          launchedAt: iso(600),
          healthyAt: iso(880),
          dataAt: iso(305),
          snapshotId: 'pit-tiny-db-01',
          usedPreviousSnapshot: false,
        },
      ],
    });
    expect(report.rpo.perServer.map((s) => s.server)).toEqual([
      'tiny-db-01',
      'tiny-app-01',
      'tiny-app-02',
      'tiny-web-01',
    ]);
  });

  it('judges RPO on critical servers: a slower optional server is listed, not judged', async () => {
    const report = buildReport(await failoverRegionDown());
    expect(report.rpo.perServer.map((s) => [s.server, s.seconds, s.withinTarget])).toEqual([
      ['tiny-db-01', 420, true],
      ['tiny-app-01', 300, true],
      ['tiny-app-02', 360, true],
      ['tiny-web-01', 1200, false],
    ]);
    expect(report.rpo.perServer.every((s) => s.usedPreviousSnapshot)).toBe(true);
  });

  it('says which servers were excluded or failed, and who decided', async () => {
    // Act
    const report = buildReport(await failoverWithExclusions());
    // Assess
    expect(report.rpo.perServer.map((s) => [s.server, s.status, s.seconds])).toEqual([
      ['tiny-db-01', 'recovered', 10],
      ['tiny-app-01', 'excluded', 60],
      ['tiny-app-02', 'excluded', null],
      ['tiny-web-01', 'recovered', 20],
    ]);
    expect(report.waves[1]?.servers.map((s) => s.reason)).toEqual([
      'SSM agent did not come online in 5m',
      'ConflictException: the source server is in another job',
    ]);
    expect(report.excluded).toEqual([
      { server: 'tiny-app-01', by: 'U07GRACE', at: iso(1500) },
      { server: 'tiny-app-02', by: 'U07GRACE', at: iso(1500) },
    ]);
    expect(report.decisions).toEqual([
      {
        gateId: 'g-decision-w2',
        stepId: 'failover.wave-2-application.recover',
        title: 'Wave 2/3 application: recover 2 servers in us-east-2',
        kind: 'decision',
        principals: ['U02BOB', 'U07GRACE'],
        required: 1,
        openedAt: iso(1400),
        closedAt: iso(1500),
        decision: 'continue',
        users: ['U07GRACE'],
        answers: [
          {
            user: 'U07GRACE',
            name: null,
            decision: 'continue',
            at: iso(1500),
            note: 'Customer agreed, <b>app</b> tier later',
          },
        ],
      },
    ]);
    expect(report.notes).toContain(
      'The operators continued without tiny-app-01, tiny-app-02 (decided by U07GRACE at 2025-03-01 02:25:00 UTC).',
    );
    expect(report.endedAt).toBe(iso(2150));
  });

  it('has an end for every outcome, the moment the report step writes it when the run has not ended yet', async () => {
    // Prepare: a succeeded drill whose report step is running: no end on the run, none journaled
    const input = await cleanDrill();
    const journal = input.journal.filter((e) => e.type !== 'execution-finished');
    const running = {
      ...input,
      journal,
      execution: { ...input.execution, status: 'running' as const },
    };
    // Act
    const report = buildReport(running);
    // Assess
    expect(report.outcome).toBe('succeeded');
    expect(report.endedAt).toBe(new Date(input.now).toISOString());
  });

  it('records who approved and who signed off, when, and their notes', async () => {
    const report = buildReport(await cleanDrill());
    expect(
      report.approvals.map((g) => [g.stepId, g.decision, g.answers.map((a) => [a.user, a.at])]),
    ).toEqual([['approval', 'approve', [['U02BOB', iso(300)]]]]);
    expect(report.signOffs).toHaveLength(1);
    expect(report.signOffs[0]).toMatchObject({
      kind: 'sign-off',
      decision: 'approve',
      closedAt: iso(9400),
      answers: [{ user: 'U03CAROL', note: 'Claims intake tested by the customer' }],
    });
    expect(report.decisions).toEqual([]);
  });

  it.each([
    [
      'the primary region was down',
      failoverRegionDown,
      [
        'The primary region us-east-1 was down: the disruption is dated 2025-03-01 01:50:00 UTC.',
        'The instances of "Stop the 4 source instances in us-east-1" could not be stopped: the region did not answer.',
        'Recovered from the last snapshot taken before the primary became unreachable: tiny-db-01 (data of 2025-03-01 01:43:00 UTC, RPO 7m), tiny-app-01 (data of 2025-03-01 01:45:00 UTC, RPO 5m), tiny-app-02 (data of 2025-03-01 01:44:00 UTC, RPO 6m), tiny-web-01 (data of 2025-03-01 01:30:00 UTC, RPO 20m).',
        'tiny-web-01 (not critical) was recovered with an RPO of 20m, above the target of 15m.',
        'Best-effort step "Stop the 4 source instances in us-east-1" failed and the run went on: us-east-1 did not answer: StopInstances timed out',
        'Best-effort step "Wait for replication to catch up (lag zero)" failed and the run went on: Replication lag did not reach zero in 10m',
        'Best-effort step "Start replication back to us-east-1" failed and the run went on: ReverseReplication: us-east-1 unreachable',
      ],
    ],
    [
      'validation failed',
      failoverNeverValidated,
      [
        'Step "validation: run Tiny-Smoke (smoke)" failed: Tiny-Smoke failed on tiny-app-01',
        'The environment in us-east-2 was never validated: RTO was not met.',
      ],
    ],
    [
      'no validation ran',
      failoverWithoutValidation,
      ['No validation passed in us-east-2: RTO is measured to the last server healthy.'],
    ],
    [
      'no disruption was journaled',
      failoverWithoutDisruption,
      [
        'No disruption was journaled: RTO and RPO are measured from the start of "Stop the 4 source instances in us-east-1" at 2025-03-01 02:05:00 UTC.',
      ],
    ],
    [
      'the run was aborted',
      failoverAborted,
      [
        'tiny-app-01 failed to recover in us-east-2: boot failure.',
        'The environment in us-east-2 was never validated: RTO was not met.',
      ],
    ],
    ['a clean drill', cleanDrill, []],
  ] as const)('notes, when %s, exactly what the auditor needs', async (_, scenario, notes) => {
    expect(buildReport(await scenario()).notes).toEqual(notes);
  });

  it('has one timeline row per step: running, pending and finished', async () => {
    // Prepare
    const input = await failoverAborted();
    // Act
    const report = buildReport(input);
    // Assess
    const steps = report.timeline.steps;
    expect(steps.map((s) => s.stepId)).toEqual(input.execution.runbook.steps.map((s) => s.id));
    expect(steps.map((s) => s.status)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'done',
      'running',
      'pending',
      'pending',
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
    expect(steps[5]).toMatchObject({ startedAt: iso(900), endedAt: null, durationSeconds: null });
    expect(steps[1]).toMatchObject({
      kind: 'gate:approval',
      phase: 'prepare',
      startedAt: iso(30),
      endedAt: iso(300),
      durationSeconds: 270,
      durationText: '4m30s',
    });
    expect(report.outcomeReason).toBe('Aborted by U02BOB');
    expect(report.rpo.perServer.map((s) => s.status)).toEqual([
      'recovered',
      'failed',
      'not-recovered',
      'not-recovered',
    ]);
  });

  it('marks the disruption, DNS, validation and sign-off on the timeline', async () => {
    const report = buildReport(await cleanDrill());
    expect(report.timeline.markers.map((m) => [m.kind, m.at])).toEqual([
      ['disruption', iso(310)],
      ['dns-in-sync', iso(1950)],
      ['validated', iso(2100)],
      ['sign-off', iso(9400)],
      ['dns-in-sync', iso(10550)],
    ]);
    expect(report.timeline.startedAt).toBe(iso(0));
    expect(report.timeline.endedAt).toBe(iso(10810));
    expect(report.generatedAt).toBe(iso(10810));
  });

  it('starts the timeline at a disruption before the run', async () => {
    expect(buildReport(await failoverRegionDown()).timeline.startedAt).toBe(iso(-600));
  });

  it('reads step records given as a list like those given as a map', async () => {
    const input = await cleanDrill();
    const asList = { ...input, steps: [...(input.steps as Map<string, never>).values()] };
    expect(buildReport(asList)).toEqual(buildReport(input));
  });

  it('is built only from journal entries of the right shape: a wrong one does not parse', async () => {
    // Prepare
    const input = await cleanDrill();
    const launch = input.journal.find((e) => e.type === 'server-launched');
    // Act
    const parsed = JournalEntrySchema.safeParse({
      ...launch,
      data: { ...launch?.data, dataAt: 'yesterday' },
    });
    // Assess
    expect(launch).toBeDefined();
    expect(parsed.success).toBe(false);
    expect(JournalEntrySchema.safeParse(launch).success).toBe(true);
  });

  it('reads exclusions without who decided, and launches without a snapshot time', async () => {
    // Prepare
    const input = await failoverWithExclusions();
    const journal = input.journal.map((e) => {
      if (e.type === 'servers-excluded') return { ...e, data: { servers: e.data?.servers } };
      if (e.type === 'server-launched' && e.data?.server === 'tiny-db-01') {
        const { dataAt: _, ...data } = e.data;
        return { ...e, data };
      }
      return e;
    });
    // Act
    const report = buildReport({ ...input, journal });
    // Assess
    expect(report.excluded.map((x) => [x.server, x.by])).toEqual([
      ['tiny-app-01', null],
      ['tiny-app-02', null],
    ]);
    expect(report.waves[0]?.servers[0]).toMatchObject({
      launchedAt: iso(600),
      dataAt: null,
      rpoSeconds: null,
      status: 'recovered',
    });
    expect(report.rpo).toMatchObject({ seconds: null, met: false, unmeasured: ['tiny-db-01'] });
    expect(report.notes).toEqual([
      'The operators continued without tiny-app-01, tiny-app-02.',
      'The RPO of tiny-db-01 could not be measured: no snapshot time was journaled with the launch.',
    ]);
  });

  it('takes the outcome from the execution when nothing else tells', async () => {
    const input = await failoverAborted();
    const journal = input.journal.filter((e) => e.type !== 'execution-finished');
    expect(buildReport({ ...input, journal }).outcome).toBe('aborted');
    expect(
      buildReport({ ...input, journal, execution: { ...input.execution, status: 'paused' } })
        .outcome,
    ).toBe('paused');
  });
});

describe('describeTargets', () => {
  it.each([
    ['a clean drill', cleanDrill, /^RTO \S+ \(target 4h, met\), RPO \S+ \(target 15m, met\)$/],
    [
      'a failover without some critical servers',
      failoverWithExclusions,
      /, RPO \S+ \(target 15m, missed: 2 critical servers not recovered\)$/,
    ],
  ])('puts %s in a line that says why a target was missed', async (_, scenario, line) => {
    // Act
    const text = describeTargets(buildReport(await scenario()));
    // Assess
    expect(text).toMatch(line);
  });
});
