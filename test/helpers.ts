import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { Plan } from '../orchestrator/domain/plan.ts';
import { parsePlan } from '../orchestrator/domain/plan-rules.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const SAMPLE_CUSTOMERS = ['bcbsaz', 'dmnt', 'nwhealth'] as const;

/** The raw YAML of a file, as an object to mutate in a test before validation. */
export async function readRaw(file: string): Promise<Record<string, unknown>> {
  return parseDocument(await readFile(file, 'utf8')).toJS() as Record<string, unknown>;
}

export async function readSample(customerId: string): Promise<Plan> {
  const file = join(ROOT, 'config', 'customers', `${customerId}.yaml`);
  return parsePlan(await readRaw(file), file);
}

export async function readTiny(): Promise<Record<string, unknown>> {
  return readRaw(join(FIXTURES, 'plans', 'valid', 'tiny.yaml'));
}
