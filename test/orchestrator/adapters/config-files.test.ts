import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FilePlanSource,
  parsePlanText,
  readSettingsFile,
} from '../../../orchestrator/adapters/config-files.ts';
import { PlanValidationError, UnknownCustomerError } from '../../../orchestrator/domain/errors.ts';
import { DEFAULT_SETTINGS } from '../../../orchestrator/domain/settings.ts';
import { FIXTURES, ROOT, SAMPLE_PLANS, SAMPLE_SETTINGS } from '../../helpers.ts';

const source = new FilePlanSource(SAMPLE_PLANS);

describe('FilePlanSource', () => {
  it('lists the sample customers and loads one with a revision of its text', async () => {
    expect(await source.listCustomers()).toEqual([
      'bcbsaz',
      'dmnt',
      'nwhealth',
      'shared-east',
      'shared-west',
    ]);
    const loaded = await source.loadPlan('bcbsaz');
    expect(loaded.plan.servers).toHaveLength(44);
    expect(loaded.revision).toMatch(/^[0-9a-f]{12}$/);
    expect(loaded.source).toBe(join(SAMPLE_PLANS, 'bcbsaz.yaml'));
  });

  it('names the known customers when asked for an unknown one', async () => {
    await expect(source.loadPlan('bcbsa')).rejects.toThrow(UnknownCustomerError);
    await expect(source.loadPlan('bcbsa')).rejects.toThrow(/"bcbsa".*bcbsaz, dmnt, nwhealth/);
  });

  it('throws the problems of an invalid plan, with their lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-'));
    await writeFile(join(dir, 'tiny.yaml'), 'version: 1\ncustomer:\n  id: tiny\n');
    const error = await new FilePlanSource(dir).loadPlan('tiny').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanValidationError);
    expect((error as PlanValidationError).problems[0]).toMatchObject({
      path: 'customer.name',
      line: 3,
    });
  });
});

describe('parsePlanText', () => {
  it('changes the revision when the text changes', async () => {
    const file = join(FIXTURES, 'plans', 'valid', 'tiny.yaml');
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(file, 'utf8');
    const a = parsePlanText(text, file);
    const b = parsePlanText(text.replace('rto: 4h', 'rto: 3h'), file);
    expect(a.ok && b.ok && a.revision !== b.revision).toBe(true);
  });

  it('refuses duplicate keys in YAML, which would silently drop one', () => {
    const result = parsePlanText('version: 1\nversion: 1\n', 'tiny.yaml');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]).toMatchObject({ code: 'yaml-syntax', line: 2 });
  });
});

describe('readSettingsFile', () => {
  it('reads a settings file', async () => {
    expect(await readSettingsFile(SAMPLE_SETTINGS)).toEqual(DEFAULT_SETTINGS);
  });

  // A test of the shipped file: config/defaults.yaml writes out the built-in defaults.
  it('reads the shipped config/defaults.yaml as the built-in defaults', async () => {
    expect(await readSettingsFile(join(ROOT, 'config', 'defaults.yaml'))).toEqual(DEFAULT_SETTINGS);
  });

  it('refuses a job size above the DRS quota', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-'));
    await writeFile(join(dir, 'defaults.yaml'), 'maxServersPerJob: 150\n');
    await expect(readSettingsFile(join(dir, 'defaults.yaml'))).rejects.toThrow(/maxServersPerJob/);
  });
});
