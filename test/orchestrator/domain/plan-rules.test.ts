import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describe as describeProblem } from '../../../cli/plan-validate.ts';
import { readPlanFile } from '../../../orchestrator/adapters/config-files.ts';
import { PLAN_PROBLEM_CODES, PlanValidationError } from '../../../orchestrator/domain/errors.ts';
import { findCycle, parsePlan, validatePlan } from '../../../orchestrator/domain/plan-rules.ts';
import { FIXTURES, readTiny, SHIPPED_PLANS } from '../../helpers.ts';

const BROKEN = join(FIXTURES, 'plans', 'broken');

/** One broken plan per row: the one problem it must raise, where, and the value it must show. */
const CASES: [fixture: string, code: string, path: string, line: number, value: string][] = [
  ['yaml-syntax', 'yaml-syntax', '', 50, 'timeout: 30m'],
  ['missing-field', 'shape', 'customer.name', 4, 'missing'],
  ['unknown-key', 'unknown-key', 'waves[2].severs', 60, 'severs'],
  ['bad-duration', 'bad-duration', 'targets.rpo', 17, '15 minutes'],
  ['unknown-region', 'unknown-region', 'regions.recovery', 9, 'us-east-9'],
  ['same-region', 'same-region', 'regions.recovery', 9, 'us-east-1'],
  ['duplicate-server', 'duplicate-server', 'servers[2].name', 35, 'tiny-app-01'],
  ['server-in-no-wave', 'server-in-no-wave', 'servers[2]', 35, 'tiny-app-02'],
  ['server-in-two-waves', 'server-in-two-waves', 'waves[2].servers[1]', 60, 'tiny-app-02'],
  ['unknown-server', 'unknown-server', 'waves[2].servers[1]', 60, 'tiny-web-99'],
  [
    'dependency-cycle',
    'dependency-cycle',
    'servers[1].dependsOn',
    34,
    'tiny-app-01 -> tiny-app-02 -> tiny-app-01',
  ],
  [
    'dependency-on-later-wave',
    'dependency-on-later-wave',
    'servers[1].dependsOn[1]',
    34,
    'tiny-web-01',
  ],
  ['octet-mismatch', 'octet-mismatch', 'servers[2].recovery.ip', 39, '10.2.20.99'],
  ['duplicate-ip', 'duplicate-ip', 'servers[2].primary.ip', 38, '10.1.20.21'],
  ['duplicate-dns-name', 'duplicate-dns-name', 'dns.records[1].name', 67, 'db.tiny.hrp.internal'],
  ['dns-values', 'dns-values', 'dns.records[1]', 67, 'webui.tiny.hrp.internal'],
  ['weak-approval', 'weak-approval', 'access.approvals.failover', 24, 'failover needs 0 approvals'],
  ['self-approval', 'weak-approval', 'access.approvers', 21, 'U01ALICE'],
  ['missing-hook-target', 'missing-hook-target', 'waves[1].postHooks[0]', 54, 'app-warmup'],
  [
    'hook-instances-side',
    'missing-hook-target',
    'waves[1].postHooks[0].instances',
    57,
    'i-0c000000000000001',
  ],
  ['isolated-network-missing', 'isolated-network-missing', 'drill.isolated', 11, 'drill.isolated'],
  ['unknown-hook-kind', 'shape', 'waves[1].postHooks[0].kind', 54, 'bash'],
  ['empty-wave', 'empty-wave', 'waves[3]', 61, 'spare'],
  ['duplicate-hook', 'duplicate-hook', 'validation[0].name', 73, 'app-warmup'],
  ['bad-instance-id', 'shape', 'servers[3].recovery.instanceId', 44, 'i-XYZ'],
  ['customer-id-mismatch', 'customer-id-mismatch', 'customer.id', 4, 'someone-else'],
];

describe('broken plans', () => {
  it('has a case for every fixture, and at least 12 kinds', async () => {
    const files = (await readdir(BROKEN)).map((f) => f.replace(/\.yaml$/, '')).sort();
    expect(files).toEqual(CASES.map(([f]) => f).sort());
    expect(new Set(CASES.map(([, code]) => code)).size).toBeGreaterThanOrEqual(12);
  });

  it.each(CASES)(
    '%s is rejected as %s at %s, line %i, showing %j',
    async (fixture, code, path, line, value) => {
      // Prepare
      const file = join(BROKEN, `${fixture}.yaml`);
      // Act
      const result = await readPlanFile(file);
      // Assess
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const [problem] = result.problems.filter((p) => p.code === code);
      expect(problem, JSON.stringify(result.problems)).toBeDefined();
      expect(problem?.path).toBe(path);
      expect(problem?.line).toBe(line);
      if (!problem) return;
      const printed = describeProblem(file, problem);
      expect(printed.startsWith(`${file}:${line}`)).toBe(true);
      expect(printed).toContain(path);
      expect(printed).toContain(value);
    },
  );

  it('only uses codes that are declared', async () => {
    for (const [fixture] of CASES) {
      const result = await readPlanFile(join(BROKEN, `${fixture}.yaml`));
      if (result.ok) throw new Error(`${fixture} passed`);
      expect(result.problems.length, fixture).toBeGreaterThan(0);
      for (const p of result.problems) expect(PLAN_PROBLEM_CODES).toContain(p.code);
    }
  });
});

describe('validatePlan', () => {
  // The one test of the shipped plans: every plan in config/customers validates.
  it('accepts every shipped plan in config/customers', async () => {
    const files = (await readdir(SHIPPED_PLANS)).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const result = await readPlanFile(join(SHIPPED_PLANS, file));
      expect(result.ok, JSON.stringify(!result.ok && result.problems)).toBe(true);
    }
  });

  it('reports every problem of a plan at once, not the first', async () => {
    // Prepare
    const raw = await readTiny();
    const regions = raw.regions as Record<string, string>;
    regions.recovery = 'us-east-1';
    const waves = raw.waves as { servers: string[] }[];
    waves[0]?.servers.push('ghost');
    // Act
    const result = validatePlan(raw);
    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.code).sort()).toEqual(['same-region', 'unknown-server']);
  });

  it('fills defaults: critical, health checks, approvals, hook phases and timeouts', async () => {
    const plan = parsePlan(await readTiny(), 'tiny.yaml');
    expect(plan.servers[0]?.critical).toBe(true);
    expect(plan.servers[3]?.critical).toBe(false);
    expect(plan.waves[2]?.healthChecks).toEqual([
      { kind: 'instance-status' },
      { kind: 'ssm-agent' },
    ]);
    expect(plan.waves[2]?.timeout).toBe(3600);
    expect(plan.access.approvals).toEqual({
      drill: 1,
      'bubble-drill': 1,
      failover: 1,
      failback: 1,
    });
    expect(plan.waves[1]?.postHooks[0]?.timeout).toBe(900);
    expect(plan.targets).toEqual({ rpo: 900, rto: 14_400 });
  });

  it('lets a server opt out of the last-octet rule', async () => {
    const raw = await readTiny();
    const server = (raw.servers as Record<string, unknown>[])[2] as {
      recovery: { ip: string };
      keepLastOctet?: boolean;
    };
    server.recovery.ip = '10.2.20.99';
    expect(validatePlan(raw).ok).toBe(false);
    server.keepLastOctet = false;
    expect(validatePlan(raw).ok).toBe(true);
  });

  it('refuses more approvals than listed approvers, but not when a group may hold more', async () => {
    const raw = await readTiny();
    const access = raw.access as { approvals?: Record<string, number>; approvers: string[] };
    access.approvals = { failover: 2 };
    const result = validatePlan(raw);
    expect(!result.ok && result.problems.map((p) => `${p.code} ${p.path}`)).toEqual([
      'weak-approval access.approvals.failover',
    ]);
    access.approvers = ['U02BOB', 'S0DRLEADS'];
    expect(validatePlan(raw).ok).toBe(true);
  });

  it('throws a PlanValidationError that lists each problem with its path', async () => {
    const raw = await readTiny();
    (raw.targets as Record<string, unknown>).rto = 'soon';
    expect(() => parsePlan(raw, 'tiny.yaml')).toThrow(PlanValidationError);
    expect(() => parsePlan(raw, 'tiny.yaml')).toThrow(
      /tiny\.yaml: 1 problem\n {2}targets\.rto: "soon" is not a duration/,
    );
  });
});

describe('findCycle', () => {
  it.each([
    [{ a: ['b'], b: ['c'], c: ['a'] }, ['a', 'b', 'c', 'a']],
    [{ a: ['a'] }, ['a', 'a']],
    [{ a: ['b'], b: [], c: ['a', 'b'] }, undefined],
    [{ a: ['missing'] }, undefined],
  ])('finds the cycle in %j', (graph, cycle) => {
    const servers = Object.entries(graph).map(([name, dependsOn]) => ({ name, dependsOn }));
    expect(findCycle({ servers } as never)).toEqual(cycle);
  });
});
