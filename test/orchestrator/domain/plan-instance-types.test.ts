import { describe, expect, it } from 'vitest';
import { parsePlan, validatePlan } from '../../../orchestrator/domain/plan-rules.ts';
import { planRunbook } from '../../../orchestrator/domain/plan-runbook.ts';
import { readTiny } from '../../helpers.ts';

async function tinyWith(alternatives: unknown): Promise<Record<string, unknown>> {
  const raw = await readTiny();
  const [server] = raw.servers as Record<string, unknown>[];
  if (server) server.alternativeInstanceTypes = alternatives;
  return raw;
}

describe('a server’s alternative instance types', () => {
  it('are optional, and kept in the order written', async () => {
    expect(parsePlan(await readTiny(), 'tiny.yaml').servers[0]?.alternativeInstanceTypes).toBe(
      undefined,
    );
    const plan = parsePlan(await tinyWith(['r6i.8xlarge', 'm7i-flex.large', 'x2iedn.metal']), 't');
    expect(plan.servers[0]?.alternativeInstanceTypes).toEqual([
      'r6i.8xlarge',
      'm7i-flex.large',
      'x2iedn.metal',
    ]);
  });

  it.each([
    [['r6i'], 'is not an EC2 instance type like r6i.2xlarge'],
    [['R6I.2XLARGE'], 'is not an EC2 instance type'],
    [['r6i.2xlarge', 'r6i.2xlarge'], 'lists a type twice'],
    [[], 'servers[0].alternativeInstanceTypes'],
    ['r6i.2xlarge', 'servers[0].alternativeInstanceTypes'],
  ])('refuses %j: %s', async (alternatives, why) => {
    const result = validatePlan(await tinyWith(alternatives));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toContain(why);
  });

  it('reach the failover’s wave step for the pre-created instance, not the failback’s', async () => {
    // Prepare
    const plan = parsePlan(await tinyWith(['r6i.8xlarge']), 't');
    const name = plan.servers[0]?.name;
    // Act
    const refs = planRunbook(plan, 'drill')
      .steps.flatMap((s) => (s.kind === 'recover-wave' ? s.bootGroups : []))
      .flatMap((g) => g.servers)
      .filter((r) => r.name === name);
    // Assess
    expect(refs.map((r) => r.alternativeInstanceTypes)).toEqual([['r6i.8xlarge'], undefined]);
  });
});
