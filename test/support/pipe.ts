import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers.ts';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'lifeboat.mjs');

/**
 * The CLI as `lifeboat ... | jq .` runs it: its stdout is a real pipe, and the reader starts a
 * moment late, so the pipe's buffer (about 64 KB) is full while the CLI still has output to give.
 * Throws as execFile does when the CLI (not the reader) exits non-zero.
 */
export function lifeboatThroughSlowPipe(
  args: readonly string[],
  options: { timeout?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
  return run('bash', ['-o', 'pipefail', '-c', `${quoted.join(' ')} | (sleep 1; cat)`], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
    timeout: options.timeout ?? 60_000,
  });
}
