import { describe, expect, it } from 'vitest';
import { planRunbook } from '../../../orchestrator/domain/plan-runbook.ts';
import type { Runbook, StepOf } from '../../../orchestrator/domain/runbook.ts';
import { DEFAULT_SETTINGS } from '../../../orchestrator/domain/settings.ts';
import type { JobLimits } from '../../../orchestrator/domain/waves.ts';
import { syntheticPlan } from '../../../sandbox/aws/synthetic-plan.ts';
import { tinyRunbook } from '../../fixtures/report-runs.ts';
import { type DrsQuotas, FakeAws, throttling } from '../../support/fake-aws.ts';
import { driveStep, fakeStepContext } from '../../support/step-context.ts';

const RECOVERY = 'us-east-2';

/** The one wave of a failover of `count` servers, planned within `limits`. */
function bigWave(count: number, limits: JobLimits) {
  const runbook = planRunbook(syntheticPlan(count), 'failover', { ...DEFAULT_SETTINGS, ...limits });
  const wave = runbook.steps.find((s) => s.kind === 'recover-wave');
  if (!wave) throw new Error('no wave');
  return { runbook, wave, names: wave.bootGroups.flatMap((g) => g.servers.map((s) => s.name)) };
}

/** Fake AWS whose DRS refuses what the limits refuse, with the wave's servers replicating. */
function awsFor(names: readonly string[], limits: JobLimits): FakeAws {
  const quotas: DrsQuotas = {
    serversPerJob: limits.maxServersPerJob,
    concurrentJobs: limits.maxConcurrentJobs,
    serversInActiveJobs: limits.maxServersInActiveJobs,
  };
  const aws = new FakeAws({ quotas });
  aws.region(RECOVERY).drs.addServers(names);
  return aws;
}

function waveOf(runbook: Runbook, name: string): StepOf<'recover-wave'> {
  const wave = runbook.steps.find(
    (s): s is StepOf<'recover-wave'> => s.kind === 'recover-wave' && s.wave === name,
  );
  if (!wave) throw new Error(`no wave ${name}`);
  return wave;
}

describe('recoverWave: DRS quotas', () => {
  it.each<[string, number, JobLimits, { jobs: number; peakJobs: number; peakServers: number }]>([
    [
      'DRS quotas as shipped: 100 per job, 500 in active jobs',
      600,
      { maxServersPerJob: 100, maxConcurrentJobs: 20, maxServersInActiveJobs: 500 },
      { jobs: 6, peakJobs: 5, peakServers: 500 },
    ],
    [
      'at most 20 concurrent jobs',
      300,
      { maxServersPerJob: 10, maxConcurrentJobs: 20, maxServersInActiveJobs: 500 },
      { jobs: 30, peakJobs: 20, peakServers: 200 },
    ],
    [
      'few concurrent jobs',
      20,
      { maxServersPerJob: 3, maxConcurrentJobs: 2, maxServersInActiveJobs: 100 },
      { jobs: 7, peakJobs: 2, peakServers: 6 },
    ],
    [
      'few servers in active jobs',
      20,
      { maxServersPerJob: 3, maxConcurrentJobs: 20, maxServersInActiveJobs: 5 },
      { jobs: 7, peakJobs: 2, peakServers: 5 },
    ],
  ])(
    '%s: %i servers launch once each, in batches DRS accepts',
    async (_, count, limits, expected) => {
      // Prepare
      const { runbook, wave, names } = bigWave(count, limits);
      const aws = awsFor(names, limits);
      const { ctx, journaled } = fakeStepContext(aws, runbook);
      // Act
      const { progress } = await driveStep(aws, ctx, wave);
      // Assess
      expect(progress.status, progress.message).toBe('done');
      const { drs } = aws.region(RECOVERY);
      expect(drs.jobs).toHaveLength(expected.jobs);
      expect(drs.peak).toEqual({
        jobs: expected.peakJobs,
        servers: expected.peakServers,
        serversPerJob: limits.maxServersPerJob,
      });
      const counts = [...drs.launchCounts().values()];
      expect(counts).toHaveLength(count);
      expect(counts.every((n) => n === 1)).toBe(true);
      expect(journaled('server-healthy')).toHaveLength(count);
    },
  );

  it('starts the next batch only once DRS has completed the jobs of the last one', async () => {
    // Prepare: DRS counts a job against its quotas for 10 minutes after its servers launched
    const limits = { maxServersPerJob: 3, maxConcurrentJobs: 2, maxServersInActiveJobs: 100 };
    const { runbook, wave, names } = bigWave(20, limits);
    const aws = awsFor(names, limits);
    aws.region(RECOVERY).drs.completeAfterLaunchSeconds = 600;
    const { ctx } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, wave);
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(aws.region(RECOVERY).drs.peak.jobs).toBe(2);
    expect([...aws.region(RECOVERY).drs.launchCounts().values()]).toHaveLength(20);
  });

  it('fails the step, naming the quota, when DRS refuses a job (a plan over the quotas)', async () => {
    // Prepare: planned for 10 per job, DRS takes 5
    const { runbook, wave, names } = bigWave(10, {
      maxServersPerJob: 10,
      maxConcurrentJobs: 20,
      maxServersInActiveJobs: 500,
    });
    const aws = awsFor(names, {
      maxServersPerJob: 5,
      maxConcurrentJobs: 20,
      maxServersInActiveJobs: 500,
    });
    const { ctx } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, wave);
    // Assess
    expect(progress.status).toBe('failed');
    expect(progress.message).toMatch(/ServiceQuotaExceededException: 10 servers in one job/);
  });
});

describe('recoverWave: throttling', () => {
  const limits = { maxServersPerJob: 3, maxConcurrentJobs: 2, maxServersInActiveJobs: 100 };

  it('resumes after throttled calls with what was launched: no server launched twice', async () => {
    // Prepare: the second job of each batch throttled twice, reads throttled mid-way
    const { runbook, wave, names } = bigWave(20, limits);
    const aws = awsFor(names, limits);
    aws
      .region(RECOVERY)
      .failOn('drs.StartRecovery', throttling('drs', 'StartRecovery'), { skip: 1, times: 2 })
      .failOn('drs.StartRecovery', throttling('drs', 'StartRecovery'), { skip: 4, times: 1 })
      .failOn('drs.DescribeJobs', throttling('drs', 'DescribeJobs'), { skip: 3, times: 2 })
      .failOn('drs.DescribeRecoveryInstances', throttling('drs', 'DescribeRecoveryInstances'), {
        skip: 1,
        times: 1,
      })
      .failOn('ec2.DescribeInstances', throttling('ec2', 'DescribeInstances'), { skip: 2 });
    const { ctx, journaled } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, wave);
    // Assess
    expect(progress.status, progress.message).toBe('done');
    const region = aws.region(RECOVERY);
    expect(region.calls.filter((c) => c === 'drs.StartRecovery')).toHaveLength(7 + 3);
    const counts = region.drs.launchCounts();
    expect(counts.size).toBe(20);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const launched = journaled('server-launched').map((e) => e.data.server);
    expect(launched).toHaveLength(20);
    expect(new Set(launched).size).toBe(20);
    expect(journaled('drs-job-started')).toHaveLength(7);
  });

  it('keeps the launch settings already made when one call is throttled', async () => {
    // Prepare
    const { runbook, wave, names } = bigWave(6, limits);
    const aws = awsFor(names, limits);
    aws
      .region(RECOVERY)
      .failOn('drs.DescribeSourceServers', throttling('drs', 'DescribeSourceServers'))
      .failOn('drs.UpdateLaunchConfiguration', throttling('drs', 'UpdateLaunchConfiguration'), {
        skip: 3,
        times: 2,
      });
    const { ctx } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, wave);
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(aws.region(RECOVERY).drs.prepared).toEqual(names.map((n) => `s-${n}`));
  });
});

describe('recoverWave: failed servers', () => {
  it.each([
    ['database', 'tiny-db-01', true, 'failed'],
    ['web', 'tiny-web-01', false, 'done'],
  ] as const)(
    'wave %s: %s (critical: %s) fails to launch, the step is %s',
    async (waveName, server, critical, status) => {
      // Prepare
      const runbook = await tinyRunbook('failover');
      const aws = new FakeAws();
      aws
        .region(RECOVERY)
        .drs.addServers([server])
        .failLaunchOf(server, 'InsufficientInstanceCapacity');
      const { ctx, journaled } = fakeStepContext(aws, runbook);
      // Act
      const { progress } = await driveStep(aws, ctx, waveOf(runbook, waveName));
      // Assess
      expect(progress.status).toBe(status);
      expect(journaled('server-failed').map((e) => e.data)).toEqual([
        expect.objectContaining({
          server,
          critical,
          reason: `EC2 has no capacity of its type in ${RECOVERY} (InsufficientInstanceCapacity); DRS: LAUNCH_FAILED: InsufficientInstanceCapacity`,
        }),
      ]);
      if (critical) {
        expect(progress.failedServers).toEqual([server]);
        expect(progress.message).toContain(server);
      } else {
        expect(progress.failedServers).toBeUndefined();
        expect(progress.message).toContain(`optional servers failed: ${server}`);
      }
    },
  );

  it('a retry launches only the server that failed, and keeps the ones that launched', async () => {
    // Prepare: tiny-app-02 fails in the first attempt
    const runbook = await tinyRunbook('failover');
    const wave = waveOf(runbook, 'application');
    const aws = new FakeAws();
    const { drs } = aws.region(RECOVERY);
    drs.addServers(['tiny-app-01', 'tiny-app-02']).failLaunchOf('tiny-app-02');
    const { ctx } = fakeStepContext(aws, runbook);
    const first = await driveStep(aws, ctx, wave);
    expect(first.progress.failedServers).toEqual(['tiny-app-02']);
    drs.failing.clear();
    // Act: the operators' retry starts the step again from what the failed attempt kept
    const { progress } = await driveStep(aws, ctx, wave, { previous: first.progress.state });
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(Object.fromEntries(drs.launchCounts())).toEqual({
      's-tiny-app-01': 1,
      's-tiny-app-02': 2,
    });
  });

  it('a critical server the operators continue without does not fail the wave', async () => {
    // Prepare
    const runbook = await tinyRunbook('failover');
    const aws = new FakeAws();
    aws.region(RECOVERY).drs.addServers(['tiny-app-01', 'tiny-app-02']).failLaunchOf('tiny-app-02');
    const { ctx } = fakeStepContext(aws, runbook, { excluded: ['tiny-app-02'] });
    // Act
    const { progress } = await driveStep(aws, ctx, waveOf(runbook, 'application'));
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(Object.fromEntries(aws.region(RECOVERY).drs.launchCounts())).toEqual({
      's-tiny-app-01': 1,
    });
  });
});
