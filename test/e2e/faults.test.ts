import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticPlan, writeSyntheticPlan } from '../../sandbox/aws/synthetic-plan.ts';
import { run, stoppedAt } from './run-helpers.ts';

describe('lifeboat run under faults', () => {
  it('opens a decision gate when three critical servers fail to launch; continue without them completes and the report names them', async () => {
    const failing = ['bcbsaz-app-03', 'bcbsaz-app-04', 'bcbsaz-web-02'];
    const { summary, of } = await run('failover', 'bcbsaz', {
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
    expect(of('recovery-launched')).toHaveLength(41);
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

  it('recovers a plan larger than one DRS job in several jobs, never over the quotas', async () => {
    // Prepare: a 150-server customer in its own plans folder
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-plans-'));
    await writeSyntheticPlan(dir, 150);
    const servers = syntheticPlan(150).servers;
    // Act
    const { summary, of, truth } = await run('failover', 'big', {}, dir);
    // Assess
    expect(summary.outcome).toBe('succeeded');
    const jobs = of('drs-job');
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(jobs.every((j) => (j.servers as string[]).length <= 100)).toBe(true);
    expect(of('recovery-launched')).toHaveLength(150);
    expect(truth.filter((e) => e.type === 'recovery-failed')).toEqual([]);
    expect(
      stoppedAt(
        truth,
        servers.map((s) => s.primary.instanceId),
      ),
    ).toBeGreaterThan(0);
  }, 180_000);
});
