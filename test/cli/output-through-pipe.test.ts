import { describe, expect, it } from 'vitest';
import { lifeboatThroughSlowPipe as throughSlowPipe } from '../support/pipe.ts';

describe('lifeboat output through a pipe', () => {
  it('gives plan show --json whole, though it is larger than the pipe holds', async () => {
    // Act
    const { stdout } = await throughSlowPipe(['plan', 'show', 'bcbsaz', '--json']);
    // Assess: more than a pipe's buffer arrived, all of it, as one JSON document
    expect(Buffer.byteLength(stdout)).toBeGreaterThan(128 * 1024);
    const shown = JSON.parse(stdout) as { waves: unknown[]; runbooks: Record<string, unknown> };
    expect(shown.waves).toHaveLength(5);
    expect(Object.keys(shown.runbooks)).toEqual(['drill', 'failover', 'failback']);
  }, 90_000);

  it('keeps the exit code of a command that failed', async () => {
    // Act
    const failed = await throughSlowPipe(['plan', 'show', 'acme']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    // Assess
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('No plan for customer "acme"');
  }, 90_000);
});
