import { describe, expect, it } from 'vitest';
import { RegionUnreachableError } from '../../../orchestrator/domain/errors.ts';
import type { PreflightResult } from '../../../orchestrator/domain/runbook.ts';
import { tinyRunbook } from '../../fixtures/report-runs.ts';
import { throttling } from '../../support/fake-aws.ts';
import { driveStep, fakeEstate, fakeStepContext, stepOf } from '../../support/step-context.ts';

const PRIMARY = 'us-east-1';
const RECOVERY = 'us-east-2';

const resultsOf = (state: Record<string, unknown>) => state.results as PreflightResult[];

describe('preflight', () => {
  it('passes every check of a drill on a healthy estate, and journals them', async () => {
    // Prepare
    const runbook = await tinyRunbook('drill');
    const aws = fakeEstate(runbook);
    const { ctx, journaled } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'preflight', 'preflight'));
    // Assess
    expect(progress.status, progress.message).toBe('done');
    const results = resultsOf(progress.state);
    expect(results.map((r) => r.check)).toEqual([
      'no-active-operation',
      'primary-reachable',
      'replication-healthy',
      'replication-lag',
      'recovery-instances',
      'plan-tags',
      'drs-quota',
      'dns-zones',
      'routing-controls',
      'failover-records',
    ]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(journaled('preflight')).toHaveLength(1);
  });

  it.each([
    ['failover', 'done', true],
    ['drill', 'failed', false],
  ] as const)(
    'with the primary region unreachable, a %s is %s (primary-reachable advisory: %s)',
    async (operation, status, advisory) => {
      // Prepare
      const runbook = await tinyRunbook(operation);
      const aws = fakeEstate(runbook);
      aws.region(PRIMARY).unreachable = true;
      const { ctx } = fakeStepContext(aws, runbook);
      // Act
      const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'preflight', 'preflight'));
      // Assess
      expect(progress.status).toBe(status);
      expect(resultsOf(progress.state).find((r) => r.check === 'primary-reachable')).toMatchObject({
        ok: false,
        advisory,
        detail: expect.stringContaining(`${PRIMARY} did not answer`),
      });
      if (status === 'failed')
        expect(progress.message).toMatch(/^Pre-flight failed: primary-reachable/);
    },
  );

  it.each([
    ['tagged for another plan', { 'lifeboat:plan': 'tiny-staging' }, 'lifeboat:plan=tiny-staging'],
    ['untagged', {}, 'untagged'],
  ])(
    'blocks a run whose source instance is %s, naming it: the workload role would refuse to stop it',
    async (_, tags, shown) => {
      // Prepare
      const runbook = await tinyRunbook('drill');
      const aws = fakeEstate(runbook);
      const step = stepOf(runbook, 'preflight', 'preflight');
      const [source = ''] = step.peerInstances;
      const instance = aws.region(PRIMARY).ec2.instances.get(source);
      if (instance) instance.tags = tags;
      const { ctx } = fakeStepContext(aws, runbook);
      // Act
      const { progress } = await driveStep(aws, ctx, step);
      // Assess
      expect(progress.status).toBe('failed');
      expect(resultsOf(progress.state).find((r) => r.check === 'plan-tags')).toMatchObject({
        ok: false,
        advisory: false,
        detail: expect.stringContaining(`${source} (${shown})`),
      });
    },
  );

  it('names the servers that do not replicate', async () => {
    // Prepare
    const runbook = await tinyRunbook('drill');
    const aws = fakeEstate(runbook);
    aws.region(RECOVERY).drs.addServers(['tiny-app-02'], { replicationState: 'STALLED' });
    const { ctx } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'preflight', 'preflight'));
    // Assess
    expect(progress.status).toBe('failed');
    expect(progress.message).toContain('not replicating: tiny-app-02 (STALLED)');
  });

  it('names a pre-created instance that is gone, as EC2 would not (one missing id fails DescribeInstances)', async () => {
    // Prepare
    const runbook = await tinyRunbook('drill');
    const aws = fakeEstate(runbook);
    const step = stepOf(runbook, 'preflight', 'preflight');
    const gone = String(step.servers[0]?.launchInto);
    aws.region(RECOVERY).ec2.instances.delete(gone);
    const { ctx } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, step);
    // Assess
    expect(progress.status).toBe('failed');
    expect(resultsOf(progress.state).find((r) => r.check === 'recovery-instances')).toMatchObject({
      ok: false,
      detail: `missing in ${RECOVERY}: ${gone}`,
    });
  });

  it('fails when DRS has no room for another job', async () => {
    // Prepare: 20 jobs already running in the recovery region
    const runbook = await tinyRunbook('drill');
    const aws = fakeEstate(runbook);
    const { drs } = aws.region(RECOVERY);
    for (let i = 0; i < 20; i++) await drs.startRecovery([`s-other-${i}`], false, {});
    const { ctx } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'preflight', 'preflight'));
    // Assess
    expect(progress.status).toBe('failed');
    expect(progress.message).toContain(
      `drs-quota: 20 DRS jobs and 20 servers in flight in ${RECOVERY}`,
    );
  });

  it.each([
    [1, true],
    [2, false],
  ])(
    'judges DRS headroom by the limits the waves were planned within: %i jobs running of 2 allowed passes: %s',
    async (running, ok) => {
      // Prepare: config/defaults.yaml lowered the concurrent jobs to 2
      const planned = await tinyRunbook('drill');
      const runbook = {
        ...planned,
        steps: planned.steps.map((s) =>
          s.kind === 'preflight'
            ? { ...s, jobLimits: { ...s.jobLimits, maxConcurrentJobs: 2 } }
            : s,
        ),
      };
      const aws = fakeEstate(runbook);
      const { drs } = aws.region(RECOVERY);
      for (let i = 0; i < running; i++) await drs.startRecovery([`s-other-${i}`], false, {});
      const { ctx } = fakeStepContext(aws, runbook);
      // Act
      const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'preflight', 'preflight'));
      // Assess
      const results = progress.state.results as PreflightResult[];
      expect(results.find((r) => r.check === 'drs-quota')?.ok).toBe(ok);
    },
  );

  it('runs a throttled check again shortly, without running the passed ones twice', async () => {
    // Prepare
    const runbook = await tinyRunbook('drill');
    const aws = fakeEstate(runbook);
    aws
      .region(RECOVERY)
      .failOn('drs.DescribeSourceServers', throttling('drs', 'DescribeSourceServers'));
    const { ctx, journaled } = fakeStepContext(aws, runbook);
    // Act
    const { progress, polls } = await driveStep(
      aws,
      ctx,
      stepOf(runbook, 'preflight', 'preflight'),
    );
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(polls).toBe(1);
    // Once for primary-reachable, once for plan-tags: neither again after the throttled poll
    expect(aws.region(PRIMARY).calls).toEqual(['ec2.DescribeInstances', 'ec2.DescribeInstances']);
    expect(resultsOf(progress.state)).toHaveLength(10);
    expect(journaled('preflight')).toHaveLength(1);
  });

  it.each([
    [
      'two endpoints down',
      ['us-east-1', 'eu-west-1'],
      {},
      true,
      /^3\/5 cluster endpoints answer \(not us-east-1, eu-west-1\); tiny-us-east-1 On, tiny-us-east-2 Off$/,
    ],
    [
      'three endpoints down',
      ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
      {},
      false,
      /^2\/5 cluster endpoints answer .*; ARC needs 3\.$/,
    ],
    [
      'both sides Off',
      [],
      { 'tiny-us-east-1': 'Off' },
      false,
      /both sides Off, expected tiny-us-east-1 On, tiny-us-east-2 Off$/,
    ],
    [
      'already flipped by hand',
      [],
      { 'tiny-us-east-1': 'Off', 'tiny-us-east-2': 'On' },
      true,
      /already set as this run sets them$/,
    ],
  ] as const)('routing-controls with %s: ok %s', async (_, down, states, ok, detail) => {
    // Prepare
    const runbook = await tinyRunbook('failover');
    const aws = fakeEstate(runbook);
    for (const region of down) aws.routing.down.add(region);
    for (const [name, state] of Object.entries(states)) aws.routing.add(name, state);
    const { ctx } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'preflight', 'preflight'));
    // Assess
    const result = resultsOf(progress.state).find((r) => r.check === 'routing-controls');
    expect(result).toMatchObject({ ok, advisory: false });
    expect(result?.detail).toMatch(detail);
    expect(progress.status).toBe(ok ? 'done' : 'failed');
  });

  it('names a missing failover record set, and blocks', async () => {
    const runbook = await tinyRunbook('failover');
    const aws = fakeEstate(runbook);
    const step = stepOf(runbook, 'preflight', 'preflight');
    aws
      .region(RECOVERY)
      .dns.failover.set(`${step.zones[1]} ${step.failoverRecords[0]}`, ['PRIMARY']);
    const { ctx } = fakeStepContext(aws, runbook);
    const { progress } = await driveStep(aws, ctx, step);
    expect(progress.status).toBe('failed');
    expect(resultsOf(progress.state).find((r) => r.check === 'failover-records')?.detail).toBe(
      `missing failover records (deploy the customer's DNS template): ${step.failoverRecords[0]} SECONDARY in ${step.zones[1]}`,
    );
  });

  it("with Route 53's API gone (us-east-1), reports the DNS checks it could not make without blocking", async () => {
    // Prepare
    const runbook = await tinyRunbook('failover');
    const aws = fakeEstate(runbook);
    const gone = () =>
      new RegionUnreachableError({
        service: 'route53',
        operation: 'x',
        code: 'ECONNRESET',
        detail: 'socket hang up',
        region: 'us-east-1',
      });
    aws.region(RECOVERY).failOn('route53.GetHostedZone', gone, { times: 99 });
    aws.region(RECOVERY).failOn('route53.ListResourceRecordSets', gone, { times: 99 });
    const { ctx } = fakeStepContext(aws, runbook);
    // Act
    const { progress } = await driveStep(aws, ctx, stepOf(runbook, 'preflight', 'preflight'));
    // Assess
    expect(progress.status, progress.message).toBe('done');
    const results = resultsOf(progress.state).filter(
      (r) => r.check === 'dns-zones' || r.check === 'failover-records',
    );
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result).toMatchObject({ ok: false, advisory: true });
      expect(result.detail).toMatch(/^Route 53's API \(served from us-east-1\) does not answer/);
    }
  });
});
