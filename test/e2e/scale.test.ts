import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyntheticPlan } from '../../sandbox/aws/synthetic-plan.ts';
import { run } from './run-helpers.ts';

describe('a 200-server drill', () => {
  it('stays well under Step Functions’ 25,000-event history limit', async () => {
    // Prepare: 200 servers in five waves, a drill both ways (hours of simulated time)
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-plans-'));
    await writeSyntheticPlan(dir, 200, 5);
    // Act
    const { summary, historyEvents, of } = await run('drill', 'big', {}, dir);
    // Assess
    expect(summary.outcome).toBe('succeeded');
    expect(of('recovery-launched')).toHaveLength(400);
    expect(summary.rto.seconds ?? 0).toBeGreaterThan(2 * 3600);
    expect(historyEvents).toBeGreaterThan(500);
    expect(historyEvents).toBeLessThan(25_000);
  }, 240_000);
});
