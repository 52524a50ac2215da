import type { Readable } from 'node:stream';
import type { Io } from './io.ts';

/**
 * Where the sandbox talks to a person: raw output (a TTY is redrawn in place and coloured; a pipe
 * gets a plain log), the input the interactive prompt reads, and the environment `--slack` reads.
 */
export interface Terminal {
  /** Text as it is, newlines included. */
  write(text: string): void;
  isTTY: boolean;
  columns(): number;
  rows(): number;
  input: Readable;
  /** The stream behind `write` on a TTY, for the interactive prompt's line editing. */
  output?: NodeJS.WritableStream;
  /** Whether a person types (a prompt is shown) or a script pipes lines. */
  inputIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** Where `.env` is looked for. */
  cwd: string;
}

export function processTerminal(): Terminal {
  return {
    write: (text) => void process.stdout.write(text),
    isTTY: Boolean(process.stdout.isTTY),
    columns: () => process.stdout.columns || 100,
    rows: () => process.stdout.rows || 40,
    input: process.stdin,
    output: process.stdout,
    inputIsTTY: Boolean(process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}

/** A terminal over an `Io` (tests): never a TTY, whole lines to `io.out`. */
export function ioTerminal(
  io: Io,
  extra: Partial<Pick<Terminal, 'input' | 'env' | 'cwd' | 'columns'>> & { input: Readable },
): Terminal {
  let pending = '';
  return {
    write: (text) => {
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) io.out(line);
    },
    isTTY: false,
    columns: extra.columns ?? (() => 100),
    rows: () => 40,
    input: extra.input,
    inputIsTTY: false,
    env: extra.env ?? process.env,
    cwd: extra.cwd ?? process.cwd(),
  };
}
