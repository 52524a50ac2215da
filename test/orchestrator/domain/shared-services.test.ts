import { describe, expect, it } from 'vitest';
import { FilePlanSource } from '../../../orchestrator/adapters/config-files.ts';
import { planRunbook } from '../../../orchestrator/domain/plan-runbook.ts';
import { checkPlanSet } from '../../../orchestrator/domain/plan-set.ts';
import { planRecoveryOrder } from '../../../orchestrator/domain/recovery-order.ts';
import { SAMPLE_PLANS, SHIPPED_PLANS } from '../../helpers.ts';

describe('the shared-services samples', () => {
  it.each([
    ['shared-east', 'us-east-1'],
    ['shared-west', 'us-west-2'],
  ])(
    '%s is a shared-services plan of %s, and has no sign-off in any operation',
    async (id, primary) => {
      // Prepare
      const { plan } = await new FilePlanSource(SAMPLE_PLANS).loadPlan(id);
      // Act
      const gates = (['drill', 'failover', 'failback'] as const).flatMap((op) =>
        planRunbook(plan, op).steps.flatMap((s) => (s.kind === 'gate' ? [s.gate] : [])),
      );
      // Assess
      expect([plan.kind, plan.priority, plan.regions.primary, plan.access.signOff]).toEqual([
        'shared-services',
        1,
        primary,
        [],
      ]);
      expect(gates).not.toContain('sign-off');
      expect(gates).toContain('approval');
    },
  );

  it('a customer drill still waits for sign-off', async () => {
    // Prepare
    const { plan } = await new FilePlanSource(SAMPLE_PLANS).loadPlan('bcbsaz');
    // Act
    const steps = planRunbook(plan, 'drill').steps;
    // Assess
    expect(steps.some((s) => s.kind === 'gate' && s.gate === 'sign-off')).toBe(true);
  });

  it.each([SAMPLE_PLANS, SHIPPED_PLANS])('the plans of %s are a valid set', async (dir) => {
    // Act
    const problems = checkPlanSet(await new FilePlanSource(dir).loadAll());
    // Assess
    expect(problems).toEqual([]);
  });

  it.each([
    ['us-east-1', 'shared-east@0 bcbsaz@1 nwhealth@1'],
    ['us-west-2', 'shared-west@0 dmnt@1'],
  ])('losing %s recovers the shared services first', async (region, order) => {
    // Prepare
    const plans = await new FilePlanSource(SAMPLE_PLANS).loadAll();
    // Act
    const starts = planRecoveryOrder(plans, region as 'us-east-1');
    // Assess
    expect(starts.map((s) => `${s.customerId}@${s.level}`).join(' ')).toBe(order);
  });
});
