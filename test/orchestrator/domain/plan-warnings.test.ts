import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import { planWarnings } from '../../../orchestrator/domain/plan-warnings.ts';
import { readSample } from '../../helpers.ts';

/** bcbsaz (primary us-east-1) with its first record in the given mode, and the given primary. */
async function variant(mode: 'failover' | 'change', primary: string): Promise<Plan> {
  const plan = await readSample('bcbsaz');
  const dns = plan.dns;
  if (!dns) throw new Error('bcbsaz has DNS');
  return {
    ...plan,
    regions: { ...plan.regions, primary: primary as Plan['regions']['primary'] },
    dns: { ...dns, records: dns.records.map((r, i) => (i === 0 ? { ...r, mode } : r)) },
  };
}

describe('planWarnings: DNS that needs us-east-1 to fail over from it', () => {
  it.each([
    ['a change-mode record, primary us-east-1', 'change', 'us-east-1', 1],
    ['a change-mode record, primary us-west-2', 'change', 'us-west-2', 0],
    ['failover records only, primary us-east-1', 'failover', 'us-east-1', 0],
  ] as const)('%s: %i warning(s)', async (_, mode, primary, count) => {
    const plan = await variant(mode, primary);
    const warnings = planWarnings(plan).filter((w) => w.path.startsWith('dns.'));
    expect(warnings).toHaveLength(count);
    if (count > 0)
      expect(warnings[0]).toEqual({
        path: 'dns.records[0].mode',
        message: expect.stringMatching(
          new RegExp(
            `^"${plan.dns?.records[0]?.name}" changes on Route 53's control plane, which runs in us-east-1 only`,
          ),
        ),
      });
  });
});
