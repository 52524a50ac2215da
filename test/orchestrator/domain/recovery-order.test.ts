import { describe, expect, it } from 'vitest';
import { PlanValidationError } from '../../../orchestrator/domain/errors.ts';
import type { After, Plan } from '../../../orchestrator/domain/plan.ts';
import { planRecoveryOrder } from '../../../orchestrator/domain/recovery-order.ts';
import type { Region } from '../../../orchestrator/domain/regions.ts';

type Spec = [id: string, priority: number, after?: (string | After)[], primary?: Region];

/** Just the fields the order reads; every plan has one wave, `main`. */
function plans(specs: Spec[]) {
  return specs.map(([id, priority, after = [], primary = 'us-east-1']) => ({
    customer: { id, name: id, productLine: 'HRP' as const },
    regions: {
      primary,
      recovery: (primary === 'us-east-1' ? 'us-east-2' : 'us-west-1') as Region,
    },
    kind: id.startsWith('shared') ? ('shared-services' as const) : ('customer' as const),
    priority,
    after: after.map((a) => (typeof a === 'string' ? { plan: a } : a)),
    waves: [{ name: 'main' }] as Plan['waves'],
  }));
}

/** Each plan as `id@level`, in start order. */
const ROWS: [what: string, specs: Spec[], lost: Region | undefined, order: string][] = [
  ['one plan', [['a', 3]], undefined, 'a@0'],
  [
    'priority first, then id',
    [
      ['c', 3],
      ['b', 1],
      ['a', 3],
      ['d', 2],
    ],
    undefined,
    'b@0 d@0 a@0 c@0',
  ],
  [
    'a plan waited on starts with the priority of who waits',
    [
      ['shared', 3],
      ['a', 1, ['shared']],
      ['b', 2],
    ],
    undefined,
    'shared@0 a@1 b@0',
  ],
  [
    'the inherited priority passes down a chain',
    [
      ['base', 5],
      ['mid', 4, ['base']],
      ['top', 1, ['mid']],
      ['other', 2],
    ],
    undefined,
    'base@0 mid@1 top@2 other@0',
  ],
  [
    'a wave of a plan counts as waiting on it',
    [
      ['shared', 1],
      ['a', 1, [{ plan: 'shared', wave: 'main' }]],
    ],
    undefined,
    'shared@0 a@1',
  ],
  [
    'levels follow the longest chain',
    [
      ['s', 1],
      ['a', 2, ['s']],
      ['b', 2, ['a', 's']],
      ['c', 5],
    ],
    undefined,
    's@0 a@1 b@2 c@0',
  ],
  [
    'only the lost region, and its plans only',
    [
      ['east', 2],
      ['west', 1, [], 'us-west-2'],
      ['shared-w', 1, [], 'us-west-2'],
    ],
    'us-east-1',
    'east@0',
  ],
  [
    'an after on a plan outside the lost region is met',
    [
      ['shared-w', 1, [], 'us-west-2'],
      ['west', 2, ['shared-w', 'ghost'], 'us-west-2'],
      ['e', 1],
    ],
    'us-west-2',
    'shared-w@0 west@1',
  ],
  ['no plan of the lost region', [['a', 1]], 'us-west-2', ''],
];

describe('planRecoveryOrder', () => {
  it.each(ROWS)('%s', (_what, specs, lost, order) => {
    // Act
    const starts = planRecoveryOrder(plans(specs), lost);
    // Assess
    expect(starts.map((s) => `${s.customerId}@${s.level}`).join(' ')).toBe(order);
  });

  it('says what each plan waits for', () => {
    // Act
    const [, a] = planRecoveryOrder(
      plans([
        ['s', 1],
        ['a', 1, [{ plan: 's', wave: 'main' }, 'a']],
      ]),
    );
    // Assess
    expect(a).toEqual({
      customerId: 'a',
      kind: 'customer',
      priority: 1,
      startPriority: 1,
      level: 1,
      waitsFor: [{ plan: 's', wave: 'main' }],
    });
  });

  it('refuses a cycle, naming it', () => {
    // Act
    const act = () =>
      planRecoveryOrder(
        plans([
          ['a', 1, ['b']],
          ['b', 1, ['a']],
        ]),
      );
    // Assess
    expect(act).toThrow(PlanValidationError);
    expect(act).toThrow(/a -> b -> a/);
  });
});
