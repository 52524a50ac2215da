import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../orchestrator/domain/report.ts';
import { syntheticPlan, writeSyntheticPlan } from '../../sandbox/aws/synthetic-plan.ts';
import { FIXTURES } from '../helpers.ts';
import { crashyTruth, run, stoppedAt } from './run-helpers.ts';

/** crashy: three servers, every kind of hook and both kinds of DNS, so a failover makes every kind of call quickly. */
const CRASHY = join(FIXTURES, 'plans', 'crash');
const CRASHY_SERVERS = ['crashy-app-01', 'crashy-app-02', 'crashy-db-01'];

/** crashy's RTO and RPO in the truth: from the first source stopped to its smoke test's end, and each launch's data. */
describe('lifeboat run under faults', () => {
  it('opens a decision gate when three critical servers fail to launch; continue without them completes and the report names them', async () => {
    // dmnt, not the 44 servers of bcbsaz: two of an application wave and one of the web wave fail
    const failing = ['dmnt-app-02', 'dmnt-app-03', 'dmnt-web-02'];
    const { summary, of } = await run('failover', 'dmnt', {
      fault: failing.map((s) => `launch-fail:${s}`),
      'on-failure': 'continue',
    });
    expect(summary.outcome).toBe('succeeded-with-exclusions');
    const servers = summary.waves.flatMap((w) => w.servers);
    expect(
      servers
        .filter((s) => s.status === 'excluded')
        .map((s) => s.name)
        .sort(),
    ).toEqual([...failing].sort());
    expect(
      of('recovery-failed')
        .map((e) => e.server)
        .sort(),
    ).toEqual([...failing].sort());
    expect(of('recovery-launched')).toHaveLength(7);
  }, 180_000);

  it('aborts on a decision to abort, and the report says where each server is', async () => {
    const { summary } = await run('failover', 'dmnt', {
      fault: ['launch-fail:dmnt-ora-01'],
      'on-failure': 'abort',
    });
    expect(summary.outcome).toBe('aborted');
    const servers = summary.waves.flatMap((w) => w.servers);
    expect(servers.find((s) => s.name === 'dmnt-ora-01')?.status).toBe('failed');
    expect(servers.filter((s) => s.status === 'not-recovered')).toHaveLength(9);
  }, 180_000);

  it('completes under 30% throttling without launching any server twice', async () => {
    const { summary, of, lines } = await run('failover', 'dmnt', {
      fault: ['throttle:0.3'],
      seed: '5',
    });
    expect(summary.outcome, lines.filter((l) => /fail|abort/.test(l)).join('\n')).toBe('succeeded');
    const perServer = new Map<string, number>();
    for (const e of of('recovery-launched'))
      perServer.set(String(e.server), (perServer.get(String(e.server)) ?? 0) + 1);
    expect([...perServer.values()]).toEqual(Array.from({ length: 10 }, () => 1));
  }, 180_000);

  it('completes a failover under 15% 5xx answers, each retried by the state machine, without a decision or a server launched twice', async () => {
    // Prepare: any decision gate answered abort, so a 5xx that reached Decide would end the run
    const faults = { fault: ['5xx:0.15'], seed: '1', 'on-failure': 'abort' };
    // Act
    const { summary, of, truth, journal, lines } = await run('failover', 'crashy', faults, CRASHY);
    // Assess: the 5xx answers happened, on the calls of most services, none reached Decide
    const errors = of('server-error');
    expect(errors.length).toBeGreaterThanOrEqual(20);
    expect([...new Set(errors.map((e) => e.service))]).toEqual(
      expect.arrayContaining(['drs', 'ec2', 'ssm', 'route53']),
    );
    expect(summary.outcome, lines.filter((l) => /fail|abort/.test(l)).join('\n')).toBe('succeeded');
    expect(journal.filter((e) => e.type === 'gate-opened' && e.data.kind === 'decision')).toEqual(
      [],
    );
    expect(
      of('recovery-launched')
        .map((e) => e.server)
        .sort(),
    ).toEqual(CRASHY_SERVERS);
    expect(of('drs-job')).toHaveLength(2);
    // the report's RTO and RPO are the truth's, within a simulated second
    const expected = crashyTruth(truth);
    expect(Math.abs((summary.rto.seconds ?? 0) - expected.rto)).toBeLessThanOrEqual(1);
    expect(Math.abs((summary.rpo.seconds ?? 0) - expected.rpo)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('stops at Decide when the validation document fails, naming it and its output; continue ends the run unvalidated, and the journal and report say it failed', async () => {
    // Act
    const { summary, of, journal } = await run(
      'failover',
      'crashy',
      { fault: ['validation-fail:Lifeboat-CrashySmoke'], 'on-failure': 'continue' },
      CRASHY,
    );
    // Assess: the document ran and failed, one decision gate opened on it, naming the document and its output
    const smoke = of('ssm-command').filter((e) => e.document === 'Lifeboat-CrashySmoke');
    expect(smoke).toHaveLength(1);
    const gates = journal.filter((e) => e.type === 'gate-opened' && e.data.kind === 'decision');
    expect(gates.map((e) => e.stepId)).toEqual(['failover.validate.smoke']);
    expect(gates[0]?.message).toMatch(
      /Lifeboat-CrashySmoke failed: i-0c0000000000000b2: Failed .*a check failed with exit code 1/s,
    );
    const closed = journal.filter((e) => e.type === 'gate-closed');
    expect(closed.at(-1)).toMatchObject({
      stepId: 'failover.validate.smoke',
      data: { kind: 'decision', decision: 'continue', users: ['U01ALICE'] },
    });
    expect(
      journal.filter((e) => e.type === 'validation-finished').map((e) => [e.message, e.data]),
    ).toEqual([
      [
        'Validation smoke failed in us-east-2',
        expect.objectContaining({ hook: 'smoke', ok: false, side: 'recovery' }),
      ],
    ]);
    // continue skips the step: the run goes on (re-protect, report), never validated, RTO not met
    expect(summary.outcome).toBe('succeeded');
    expect(summary.rto).toMatchObject({ seconds: null, validatedAt: null, met: false });
    expect(of('reverse-replication')).toHaveLength(3);
    const report = JSON.parse(await readFile(String(summary.reportFiles.json), 'utf8')) as Report;
    const step = report.timeline.steps.find((s) => s.stepId === 'failover.validate.smoke');
    expect(step).toMatchObject({ status: 'skipped' });
    expect(step?.message).toMatch(
      /^continued without this step, which failed: Lifeboat-CrashySmoke failed: .*exit code 1/s,
    );
    expect(report.decisions.map((d) => [d.stepId, d.decision])).toEqual([
      ['failover.validate.smoke', 'continue'],
    ]);
    expect(report.notes).toContain(
      'The environment in us-east-2 was never validated: RTO was not met.',
    );
  }, 60_000);

  it('aborts on a decision to abort a failed validation: re-protect never runs, and the report keeps the validation failed', async () => {
    // Act
    const { summary, of, journal } = await run(
      'failover',
      'crashy',
      { fault: ['validation-fail:Lifeboat-CrashySmoke'], 'on-failure': 'abort' },
      CRASHY,
    );
    // Assess
    expect(summary.outcome).toBe('aborted');
    expect(journal.filter((e) => e.type === 'gate-closed').at(-1)).toMatchObject({
      stepId: 'failover.validate.smoke',
      data: { kind: 'decision', decision: 'abort' },
    });
    expect(of('reverse-replication')).toEqual([]);
    const report = JSON.parse(await readFile(String(summary.reportFiles.json), 'utf8')) as Report;
    const step = report.timeline.steps.find((s) => s.stepId === 'failover.validate.smoke');
    expect(step).toMatchObject({ status: 'failed' });
    expect(step?.message).toMatch(/Lifeboat-CrashySmoke failed: .*exit code 1/s);
  }, 60_000);

  it('recovers a plan larger than one DRS job in several jobs, never over the quotas', async () => {
    // Prepare: a customer one server over a DRS job's 100, in its own plans folder
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-plans-'));
    await writeSyntheticPlan(dir, 101);
    const servers = syntheticPlan(101).servers;
    // Act
    const { summary, of, truth } = await run('failover', 'big', {}, dir);
    // Assess
    expect(summary.outcome).toBe('succeeded');
    const jobs = of('drs-job');
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(jobs.every((j) => (j.servers as string[]).length <= 100)).toBe(true);
    expect(of('recovery-launched')).toHaveLength(101);
    expect(truth.filter((e) => e.type === 'recovery-failed')).toEqual([]);
    expect(
      stoppedAt(
        truth,
        servers.map((s) => s.primary.instanceId),
      ),
    ).toBeGreaterThan(0);
  }, 180_000);
});
