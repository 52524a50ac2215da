import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { main } from '../../cli/main.ts';
import { ioTerminal } from '../../cli/terminal.ts';
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

/** The CLI in this process, with a terminal whose input never types: its exit code and output. */
export async function lifeboatInProcess(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const code = await main(args, io, ioTerminal(io, { input: new PassThrough() }));
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
