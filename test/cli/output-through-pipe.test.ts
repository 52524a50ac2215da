import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'lifeboat.mjs');

/**
 * The CLI as `lifeboat ... | jq .` runs it: its stdout is a real pipe, and the reader starts a
 * moment late, so the pipe's buffer (about 64 KB) is full while the CLI still has output to give.
 */
export async function throughSlowPipe(
  args: readonly string[],
): Promise<{ stdout: string; stderr: string }> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
  // pipefail: the CLI's exit code, not the reader's, decides whether execFile throws.
  return run('bash', ['-o', 'pipefail', '-c', `${quoted.join(' ')} | (sleep 1; cat)`], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 170_000,
  });
}

describe('lifeboat output through a pipe', () => {
  it('gives plan show --json whole, though it is larger than the pipe holds', async () => {
    // Act
    const { stdout } = await throughSlowPipe(['plan', 'show', 'bcbsaz', '--json']);
    // Assess: more than a pipe's buffer arrived, all of it, as one JSON document
    expect(Buffer.byteLength(stdout)).toBeGreaterThan(128 * 1024);
    const shown = JSON.parse(stdout) as { waves: unknown[]; runbooks: Record<string, unknown> };
    expect(shown.waves).toHaveLength(5);
    expect(Object.keys(shown.runbooks)).toEqual(['drill', 'failover', 'failback']);
  });

  it('keeps the exit code of a command that failed', async () => {
    // Act
    const failed = await throughSlowPipe(['plan', 'show', 'acme']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    // Assess
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('No plan for customer "acme"');
  });
});
