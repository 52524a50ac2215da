import { describe, expect, it } from 'vitest';
import { READ_MS, readingPause } from '../../cli/sandbox-scenario.ts';

describe('how long a sandbox person reads before clicking', () => {
  it.each([
    ['stepped time', 0, READ_MS],
    ['the default 1000x', 1000, READ_MS],
    ['4000x, where 1.5 s would be 100 simulated minutes, past an approval’s hour', 4000, 375],
    ['100000x', 100_000, 15],
  ])('at %s: %d -> %d ms, never more than 25 simulated minutes', (_case, speed, ms) => {
    // Act
    const pause = readingPause(speed);
    // Assess
    expect(pause).toBe(ms);
    if (speed > 0) expect(pause * speed).toBeLessThanOrEqual(25 * 60_000);
  });
});
