import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SAMPLE_PLANS } from '../helpers.ts';
import { run } from './run-helpers.ts';

const ORA = 'dmnt-ora-01';

/** The sample plans, dmnt's database server allowed to run on r6i.8xlarge in DR. */
async function plansWithAlternative(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-capacity-'));
  for (const file of (await readdir(SAMPLE_PLANS)).filter((f) => f.endsWith('.yaml'))) {
    const raw = parse(await readFile(join(SAMPLE_PLANS, file), 'utf8')) as Record<string, unknown>;
    if (file === 'dmnt.yaml') {
      const servers = raw.servers as Record<string, unknown>[];
      const ora = servers.find((s) => s.name === ORA);
      if (ora) ora.alternativeInstanceTypes = ['r6i.8xlarge'];
    }
    await writeFile(join(dir, file), stringify(raw));
  }
  return dir;
}

describe('EC2 without capacity of an instance type in the recovery region', () => {
  it('fails dmnt over with its database server on its plan’s alternative type: launched once, the report says so', async () => {
    // Prepare
    const plansDir = await plansWithAlternative();
    // Act
    const { summary, of, journal } = await run(
      'failover',
      'dmnt',
      { fault: ['capacity:r6i.4xlarge:us-west-1'], 'on-failure': 'abort' },
      plansDir,
    );
    // Assess: the truth
    expect(summary.outcome).toBe('succeeded');
    expect(of('recovery-failed').filter((e) => e.server === ORA)).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/^InsufficientInstanceCapacity: .*r6i\.4xlarge/),
      }),
    ]);
    expect(of('instance-type-changed')).toEqual([
      expect.objectContaining({ from: 'r6i.4xlarge', to: 'r6i.8xlarge', region: 'us-west-1' }),
    ]);
    const launched = of('recovery-launched');
    expect(launched.filter((e) => e.server === ORA)).toEqual([
      expect.objectContaining({ instanceType: 'r6i.8xlarge', region: 'us-west-1' }),
    ]);
    const counts = new Map<unknown, number>();
    for (const e of launched) counts.set(e.server, (counts.get(e.server) ?? 0) + 1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // Assess: the journal and the report
    expect(journal.filter((e) => e.type === 'instance-type-changed')).toHaveLength(1);
    const servers = summary.waves.flatMap((w) => w.servers);
    expect(servers.find((s) => s.name === ORA)).toMatchObject({
      status: 'recovered',
      instanceType: 'r6i.8xlarge',
      substitutedFrom: 'r6i.4xlarge',
    });
    expect(servers.find((s) => s.name === 'dmnt-app-01')).toMatchObject({
      instanceType: 'm5.xlarge',
    });
    expect(servers.find((s) => s.name === 'dmnt-app-01')?.substitutedFrom).toBeUndefined();
    const markdown = await readFile(String(summary.reportFiles.markdown), 'utf8');
    expect(markdown).toContain(`${ORA} (r6i.8xlarge instead of r6i.4xlarge)`);
  }, 180_000);
});
