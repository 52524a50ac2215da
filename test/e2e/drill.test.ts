import { describe, expect, it } from 'vitest';
import type { Plan } from '../../orchestrator/domain/plan.ts';
import { readSample } from '../helpers.ts';
import { ms, run, stoppedAt, validatedIn } from './run-helpers.ts';

describe('lifeboat run drill bcbsaz', () => {
  it('fails over wave by wave, flips DNS, validates, signs off, fails back into the originals and reports RTO and RPO equal to the truth', async () => {
    // Prepare
    const plan: Plan = await readSample('bcbsaz');
    // Act
    const { summary, truth, of } = await run('drill', 'bcbsaz');
    // Assess: the outcome and every server, both ways
    expect(summary.outcome).toBe('succeeded');
    for (const direction of ['to-recovery', 'to-primary']) {
      const servers = summary.waves
        .filter((w) => w.direction === direction)
        .flatMap((w) => w.servers);
      expect(servers.map((s) => s.status)).toEqual(plan.servers.map(() => 'recovered'));
    }
    // no server of a wave launched before every critical server of the previous wave was healthy
    const launched = of('recovery-launched');
    for (const region of ['us-east-2', 'us-east-1']) {
      const waves = plan.waves.map((w) => new Set(w.servers));
      const inRegion = launched.filter((e) => e.region === region);
      for (let i = 1; i < waves.length; i++) {
        const firstLaunch = Math.min(
          ...inRegion.filter((e) => waves[i]?.has(String(e.server))).map((e) => ms(e.launchedAt)),
        );
        const previousHealthy = summary.waves
          .filter(
            (w) =>
              w.name === plan.waves[i - 1]?.name &&
              (region === 'us-east-2'
                ? w.direction === 'to-recovery'
                : w.direction === 'to-primary'),
          )
          .flatMap((w) => w.servers)
          .filter((s) => s.critical)
          .map((s) => ms(s.healthyAt));
        expect(firstLaunch).toBeGreaterThanOrEqual(Math.max(...previousHealthy));
      }
    }
    // each server launched exactly once per direction, back into its original instance
    expect(launched.filter((e) => e.region === 'us-east-2')).toHaveLength(44);
    const back = launched.filter((e) => e.region === 'us-east-1');
    expect(back.map((e) => e.instanceId).sort()).toEqual(
      plan.servers.map((s) => s.primary.instanceId).sort(),
    );
    // DNS: through ARC both ways (no record rewritten); resolvers answer ora01's recovery IP from
    // the report's first moment, its primary IP again from the second
    expect(of('dns-change')).toEqual([]);
    expect(
      of('routing-control')
        .filter((e) => e.customerId === 'bcbsaz')
        .map((e) => [e.name, e.state]),
    ).toEqual([
      ['bcbsaz-us-east-2', 'On'],
      ['bcbsaz-us-east-1', 'Off'],
      ['bcbsaz-us-east-1', 'On'],
      ['bcbsaz-us-east-2', 'Off'],
    ]);
    const answered = summary.markers.filter((m) => m.kind === 'dns-answered');
    expect(answered.map((m) => m.label)).toEqual([
      'DNS answers the recovery side',
      'DNS answers the primary side',
    ]);
    const ora = of('dns-answer').filter(
      (e) => e.zoneId === plan.dns?.zones.recovery && String(e.name).startsWith('ora01.'),
    );
    expect(ora.map((e) => e.values)).toEqual([['10.140.10.11'], ['10.40.10.11']]);
    ora.forEach((answer, i) => {
      expect(Math.abs(ms(answer.at) - ms(answered[i]?.at))).toBeLessThanOrEqual(1000);
    });
    // validation ran in both regions; replication toward the recovery region restarted
    const smoke = of('ssm-command').filter((e) => e.document === 'Lifeboat-HrpSmokeTest');
    expect(new Set(smoke.map((e) => e.region))).toEqual(new Set(['us-east-2', 'us-east-1']));
    expect(of('reverse-replication').filter((e) => e.region === 'us-east-2')).toHaveLength(44);
    // RTO and RPO against the simulator's ground truth, within one simulated second
    const disruption = stoppedAt(
      truth,
      plan.servers.map((s) => s.primary.instanceId),
    );
    const validated = validatedIn(truth, 'us-east-2');
    expect(
      Math.abs((summary.rto.seconds ?? 0) - (validated - disruption) / 1000),
    ).toBeLessThanOrEqual(1);
    const truthRpo = Math.max(
      ...launched
        .filter((e) => e.region === 'us-east-2')
        .map((e) => Math.max(0, (disruption - ms(e.dataAt)) / 1000)),
    );
    expect(Math.abs((summary.rpo.seconds ?? 0) - truthRpo)).toBeLessThanOrEqual(1);
    expect(summary.rpo.perServer).toHaveLength(44);
    expect(summary.rto.met).toBe(true);
  }, 180_000);
});
