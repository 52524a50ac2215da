import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyntheticPlan } from '../../sandbox/aws/synthetic-plan.ts';
import { run } from './run-helpers.ts';

describe('a 100-server drill', () => {
  // `npm run bench -- orchestration` runs 200 servers and reports their history; here half of
  // them keeps npm test short, and the budget per server keeps 200 under the limit too.
  it('stays within a history budget that keeps 200 servers under Step Functions’ 25,000 events', async () => {
    // Prepare: 100 servers in five waves, a drill both ways (hours of simulated time)
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-plans-'));
    await writeSyntheticPlan(dir, 100, 5);
    // Act
    const { summary, historyEvents, of } = await run('drill', 'big', {}, dir);
    // Assess
    expect(summary.outcome).toBe('succeeded');
    expect(of('recovery-launched')).toHaveLength(200);
    expect(summary.rto.seconds ?? 0).toBeGreaterThan(2 * 3600);
    expect(historyEvents).toBeGreaterThan(500);
    expect(historyEvents / 100).toBeLessThan(25_000 / 200);
  }, 240_000);
});
