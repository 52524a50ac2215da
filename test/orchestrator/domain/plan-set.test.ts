import { describe, expect, it } from 'vitest';
import type { PlanInput } from '../../../orchestrator/domain/plan.ts';
import { parsePlan, validatePlan } from '../../../orchestrator/domain/plan-rules.ts';
import { checkPlanSet } from '../../../orchestrator/domain/plan-set.ts';
import { readTiny } from '../../helpers.ts';

/** The tiny plan as customer `id`, renumbered so several fit one set, with the fields given. */
async function plan(id: string, fields: Partial<PlanInput> = {}) {
  const raw = await readTiny();
  const text = JSON.stringify(raw).replaceAll('tiny', id);
  return parsePlan({ ...JSON.parse(text), ...fields }, id);
}

describe('the plan schema: kind, priority and after', () => {
  it('defaults to a customer plan of priority 3 that waits for nothing', async () => {
    // Prepare
    const raw = await readTiny();
    // Act
    const result = validatePlan(raw);
    // Assess
    expect(result.ok && [result.plan.kind, result.plan.priority, result.plan.after]).toEqual([
      'customer',
      3,
      [],
    ]);
  });

  it('reads after as plain ids or as a plan and a wave', async () => {
    // Prepare
    const raw = { ...(await readTiny()), after: ['shared-east', { plan: 'core', wave: 'db' }] };
    // Act
    const result = validatePlan(raw);
    // Assess
    expect(result.ok && result.plan.after).toEqual([
      { plan: 'shared-east' },
      { plan: 'core', wave: 'db' },
    ]);
  });

  it('lets a shared-services plan leave out sign-off', async () => {
    // Prepare
    const raw = await readTiny();
    const access = { ...(raw.access as Record<string, unknown>) };
    delete access.signOff;
    // Act
    const result = validatePlan({ ...raw, kind: 'shared-services', access });
    // Assess
    expect(result.ok && result.plan.access.signOff).toEqual([]);
  });

  const REFUSED: [what: string, fields: Record<string, unknown>, code: string, path: string][] = [
    ['priority 0', { priority: 0 }, 'shape', 'priority'],
    ['priority 6', { priority: 6 }, 'shape', 'priority'],
    ['priority 1.5', { priority: 1.5 }, 'shape', 'priority'],
    ['an unknown kind', { kind: 'platform' }, 'shape', 'kind'],
    ['an after entry that is not a name', { after: ['Shared East'] }, 'shape', 'after[0]'],
    [
      'an after entry with an unknown key',
      { after: [{ plan: 'a', stage: 'b' }] },
      'unknown-key',
      'after[0].stage',
    ],
    ['a customer plan without sign-off', { access: {} }, 'missing-sign-off', 'access.signOff'],
  ];
  it.each(REFUSED)('refuses %s', async (_what, fields, code, path) => {
    // Prepare
    const raw = await readTiny();
    const access = { ...(raw.access as Record<string, unknown>) };
    if ('access' in fields) delete access.signOff;
    // Act
    const result = validatePlan({ ...raw, ...fields, access });
    // Assess
    expect(result.ok ? [] : result.problems.map((p) => [p.code, p.path])).toContainEqual([
      code,
      path,
    ]);
  });
});

describe('checkPlanSet', () => {
  it('passes plans that wait on plans and waves of their own pair', async () => {
    // Prepare
    const shared = await plan('shared', { kind: 'shared-services', priority: 1 });
    const a = await plan('alpha', { after: ['shared'] });
    const b = await plan('beta', { after: [{ plan: 'shared', wave: 'database' }, 'alpha'] });
    // Act
    const problems = checkPlanSet([shared, a, b]);
    // Assess
    expect(problems).toEqual([]);
  });

  type Row = [what: string, after: unknown[], code: string, path: string, message: RegExp];
  const ROWS: Row[] = [
    [
      'an unknown plan',
      ['nobody'],
      'unknown-plan',
      'after[0].plan',
      /"nobody" is not a known plan/,
    ],
    [
      'an unknown wave',
      [{ plan: 'shared', wave: 'web-tier' }],
      'unknown-wave',
      'after[0].wave',
      /"web-tier" is not a wave of "shared"/,
    ],
    ['itself', ['alpha'], 'after-itself', 'after[0].plan', /cannot come after itself/],
    [
      'a plan of the other pair',
      ['west'],
      'after-other-region-pair',
      'after[0].plan',
      /"west" recovers us-west-2 -> us-west-1, this plan us-east-1 -> us-east-2/,
    ],
  ];
  it.each(ROWS)('finds an after naming %s', async (_what, after, code, path, message) => {
    // Prepare
    const shared = await plan('shared', { kind: 'shared-services' });
    const west = await plan('west', { regions: { primary: 'us-west-2', recovery: 'us-west-1' } });
    const alpha = await plan('alpha', { after: after as PlanInput['after'] });
    // Act
    const problems = checkPlanSet([shared, west, alpha]);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ customerId: 'alpha', code, path });
    expect(problems[0]?.message).toMatch(message);
  });

  it('names a cycle in each plan on it', async () => {
    // Prepare
    const plans = [
      await plan('alpha', { after: ['gamma'] }),
      await plan('beta', { after: ['alpha'] }),
      await plan('gamma', { after: ['shared', 'beta'] }),
      await plan('shared'),
    ];
    // Act
    const problems = checkPlanSet(plans);
    // Assess
    expect(problems.map((p) => [p.customerId, p.code, p.path])).toEqual([
      ['alpha', 'after-cycle', 'after[0].plan'],
      ['gamma', 'after-cycle', 'after[1].plan'],
      ['beta', 'after-cycle', 'after[0].plan'],
    ]);
    expect(problems[0]?.message).toContain('alpha -> gamma -> beta -> alpha');
  });

  it('finds two plans with one id', async () => {
    // Act
    const problems = checkPlanSet([await plan('alpha'), await plan('alpha')]);
    // Assess
    expect(problems.map((p) => p.code)).toEqual(['duplicate-plan']);
  });
});
