import { describe, expect, it } from 'vitest';
import { onFirstUse } from '../../../orchestrator/handlers/first-use.ts';

describe('onFirstUse', () => {
  it('builds once for callers that come while it builds, and keeps what it built', async () => {
    // Prepare
    let builds = 0;
    const value = onFirstUse(async () => {
      builds += 1;
      return { n: builds };
    });
    // Act
    const [a, b] = await Promise.all([value(), value()]);
    const c = await value();
    // Assess
    expect(builds).toBe(1);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('keeps no failed build: the next call builds again', async () => {
    // Prepare
    let builds = 0;
    const value = onFirstUse(async () => {
      builds += 1;
      if (builds === 1) throw new Error('the table is not there yet');
      return builds;
    });
    // Act
    const first = value();
    // Assess
    await expect(first).rejects.toThrow('the table is not there yet');
    expect(await value()).toBe(2);
    expect(await value()).toBe(2);
  });
});
