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
  it('reads a settings file, its region-wide section with its defaults', async () => {
    const { regionWide, ...runbook } = await readSettingsFile(SAMPLE_SETTINGS);
    expect(runbook).toEqual(DEFAULT_SETTINGS);
    expect(regionWide).toMatchObject({
      channel: 'C0DROPS',
      approvers: ['U02BOB', 'U04DAVE', 'S0HRPDRLEADS'],
      approvals: 2,
      approvalTimeout: 3600,
      maxConcurrentRuns: 60,
    });
  });

  it('has no region-wide operations without the section, and refuses one approval of nobody', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-'));
    await writeFile(join(dir, 'defaults.yaml'), 'maxServersPerJob: 50\n');
    expect((await readSettingsFile(join(dir, 'defaults.yaml'))).regionWide).toBeUndefined();
    await writeFile(
      join(dir, 'defaults.yaml'),
      'regionWide:\n  channel: C0DROPS\n  requesters: [U01ALICE]\n  approvers: []\n',
    );
    await expect(readSettingsFile(join(dir, 'defaults.yaml'))).rejects.toThrow(/approvers/);
  });

  // A test of the shipped file: config/defaults.yaml writes out the built-in defaults.
  it('reads the shipped config/defaults.yaml as the built-in defaults', async () => {
    const { regionWide, ...runbook } = await readSettingsFile(
      join(ROOT, 'config', 'defaults.yaml'),
    );
    expect(runbook).toEqual(DEFAULT_SETTINGS);
    expect(regionWide?.channel).toBe('C0DROPS');
  });

  it('refuses a job size above the DRS quota', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-'));
    await writeFile(join(dir, 'defaults.yaml'), 'maxServersPerJob: 150\n');
    await expect(readSettingsFile(join(dir, 'defaults.yaml'))).rejects.toThrow(/maxServersPerJob/);
  });
});
