import { describe, expect, it } from 'vitest';
import { run } from './run-helpers.ts';

describe('lifeboat run drill nwhealth (a GC bubble drill)', () => {
  it('drill-launches into the bubble, validates there, waits for sign-off and cleans up, touching nothing in production', async () => {
    // Act
    const { summary, of, lines } = await run('drill', 'nwhealth');
    // Assess
    expect(summary.outcome).toBe('succeeded');
    const launched = of('recovery-launched');
    expect(launched).toHaveLength(13);
    expect(launched.every((e) => e.isDrill === true && e.region === 'us-east-2')).toBe(true);
    // production untouched: no source stopped, no DNS changed, no replication reversed, no stack built
    expect(of('instance-stop')).toEqual([]);
    expect(of('dns-change')).toEqual([]);
    expect(of('reverse-replication')).toEqual([]);
    expect(of('stack-deploy')).toEqual([]);
    // the hooks ran on the drill instances, and the manual step was confirmed in the run
    const drillInstances = new Set(launched.map((e) => String(e.instanceId)));
    const reconfig = of('ssm-command').find((e) => e.document === 'Lifeboat-MongoForceReconfig');
    const targets = (reconfig?.instanceIds ?? []) as string[];
    expect(targets).toHaveLength(1);
    expect(targets.every((id) => drillInstances.has(id))).toBe(true);
    expect(lines.some((l) => /answered done/.test(l))).toBe(true);
    // cleanup terminated every drill instance
    const terminated = new Set(of('instance-terminate').map((e) => String(e.instanceId)));
    expect([...drillInstances].every((id) => terminated.has(id))).toBe(true);
  }, 180_000);
});
