import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../orchestrator/domain/plan-rules.ts';
import {
  checkPlanTextFit,
  PROMPT_TEXT_SHOWN_MAX,
} from '../../../orchestrator/domain/plan-text-fit.ts';
import { syntheticPlanDocument } from '../../../sandbox/aws/synthetic-plan.ts';

function planWith(instructions: string, name = 'Big Health') {
  const doc = syntheticPlanDocument(2);
  const [wave] = doc.waves as Record<string, unknown>[];
  if (wave) wave.postHooks = [{ kind: 'manual', name: 'flip-vpn', instructions }];
  doc.customer = { ...(doc.customer as object), name };
  return parsePlan(doc, 'big');
}

describe('checkPlanTextFit', () => {
  it.each([
    ['short instructions', 'Flip the VPN.', 0],
    ['instructions that fit only unescaped', '&'.repeat(PROMPT_TEXT_SHOWN_MAX / 5 + 1), 1],
    ['runbook-length instructions', 'x'.repeat(PROMPT_TEXT_SHOWN_MAX + 1), 1],
  ])('%s: %i warning(s), and the plan stays valid', (_, instructions, count) => {
    // Act
    const warnings = checkPlanTextFit(planWith(instructions));
    // Assess
    expect(warnings).toHaveLength(count);
    for (const warning of warnings) {
      expect(warning.path).toBe('waves[0].postHooks[0].instructions');
      expect(warning.message).toMatch(/will be cut in Slack/);
    }
  });

  it('warns of a customer name longer than the cards show', () => {
    const warnings = checkPlanTextFit(planWith('Flip the VPN.', 'B'.repeat(101)));
    expect(warnings.map((w) => w.path)).toEqual(['customer.name']);
  });
});
