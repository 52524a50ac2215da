import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { Plan } from '../orchestrator/domain/plan.ts';
import { parsePlan } from '../orchestrator/domain/plan-rules.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
/** The sample plans as the tests know them, apart from the shipped `config/customers/`. */
export const SAMPLE_PLANS = join(FIXTURES, 'plans', 'samples');
/** The runbook defaults as the tests know them, apart from the shipped `config/defaults.yaml`. */
export const SAMPLE_SETTINGS = join(FIXTURES, 'config', 'defaults.yaml');
/** The shipped plans, for the few tests that check them (and the product run as a user runs it). */
export const SHIPPED_PLANS = join(ROOT, 'config', 'customers');

/** The raw YAML of a file, as an object to mutate in a test before validation. */
export async function readRaw(file: string): Promise<Record<string, unknown>> {
  return parseDocument(await readFile(file, 'utf8')).toJS() as Record<string, unknown>;
}

export async function readSample(customerId: string): Promise<Plan> {
  const file = join(SAMPLE_PLANS, `${customerId}.yaml`);
  return parsePlan(await readRaw(file), file);
}

export async function readTiny(): Promise<Record<string, unknown>> {
  return readRaw(join(FIXTURES, 'plans', 'valid', 'tiny.yaml'));
}
