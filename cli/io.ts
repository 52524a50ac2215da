import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.ts';

/** Where a command writes; tests pass their own to read what a person would see. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The repository's root, so commands work from any working directory. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CUSTOMERS_DIR = join(ROOT, 'config', 'customers');
export const DEFAULTS_FILE = join(ROOT, 'config', 'defaults.yaml');

/** A numeric option of 0 or more, or its default when absent. */
export function number(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`--${name} must be a number of 0 or more, not "${text}".`);
  return n;
}
