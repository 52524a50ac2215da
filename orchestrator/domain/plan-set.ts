import type { PlanProblem, PlanProblemCode } from './errors.ts';
import type { Plan } from './plan.ts';
import { formatPath, type PathSegment } from './plan-rules.ts';

/** A problem of one plan that only the other plans reveal: `customerId` names the plan it is in. */
export interface PlanSetProblem extends PlanProblem {
  customerId: string;
}

type SetPlan = Pick<Plan, 'customer' | 'regions' | 'after' | 'waves'>;

/**
 * The rules that span plans: every `after` names a known plan (and a wave of it) of the same
 * region pair, never the plan itself, and the `after` edges have no cycle. Each problem is
 * reported in the plan that holds the bad `after` entry; a cycle in each plan on it.
 */
export function checkPlanSet(plans: readonly SetPlan[]): PlanSetProblem[] {
  const problems: PlanSetProblem[] = [];
  const add = (
    plan: SetPlan,
    code: PlanProblemCode,
    segments: PathSegment[],
    message: string,
    value?: unknown,
  ) =>
    problems.push({
      customerId: plan.customer.id,
      code,
      path: formatPath(segments),
      segments,
      message,
      ...(value === undefined ? {} : { value }),
    });

  const byId = new Map<string, SetPlan>();
  for (const plan of plans) {
    if (byId.has(plan.customer.id)) {
      add(
        plan,
        'duplicate-plan',
        ['customer', 'id'],
        `Two plans carry customer id "${plan.customer.id}"; each plan needs its own id.`,
        plan.customer.id,
      );
      continue;
    }
    byId.set(plan.customer.id, plan);
  }

  for (const plan of byId.values()) {
    plan.after.forEach((after, a) => {
      const at: PathSegment[] = ['after', a];
      const other = byId.get(after.plan);
      if (after.plan === plan.customer.id) {
        add(
          plan,
          'after-itself',
          [...at, 'plan'],
          `Plan "${plan.customer.id}" cannot come after itself; remove this entry.`,
          after.plan,
        );
      } else if (!other) {
        add(
          plan,
          'unknown-plan',
          [...at, 'plan'],
          `"${after.plan}" is not a known plan (known: ${[...byId.keys()].sort().join(', ')}); fix the id or add its plan.`,
          after.plan,
        );
      } else if (!samePair(plan, other)) {
        add(
          plan,
          'after-other-region-pair',
          [...at, 'plan'],
          `"${after.plan}" recovers ${pair(other)}, this plan ${pair(plan)}; a plan can only come after plans of its own region pair.`,
          after.plan,
        );
      } else if (after.wave !== undefined && !other.waves.some((w) => w.name === after.wave)) {
        add(
          plan,
          'unknown-wave',
          [...at, 'wave'],
          `"${after.wave}" is not a wave of "${other.customer.id}" (its waves: ${other.waves.map((w) => w.name).join(', ')}).`,
          after.wave,
        );
      }
    });
  }

  for (const cycle of findPlanCycles([...byId.values()])) {
    const named = [...cycle, cycle[0]].join(' -> ');
    cycle.forEach((id, i) => {
      const plan = byId.get(id);
      const next = cycle[(i + 1) % cycle.length];
      const a = plan?.after.findIndex((after) => after.plan === next) ?? -1;
      if (plan && a >= 0)
        add(
          plan,
          'after-cycle',
          ['after', a, 'plan'],
          `The plans wait on each other in a cycle (${named}), so none of them could start; remove one of these after entries.`,
          next,
        );
    });
  }
  return problems;
}

/**
 * Each cycle of `after` edges between distinct known plans, once, as the ids on it starting
 * from the smallest; edges to unknown plans and to the plan itself are other problems.
 */
export function findPlanCycles(plans: readonly Pick<Plan, 'customer' | 'after'>[]): string[][] {
  const edges = new Map(
    plans.map((p) => [p.customer.id, [...new Set(p.after.map((a) => a.plan))].sort()]),
  );
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles = new Map<string, string[]>();
  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      if (next === id || !edges.has(next)) continue;
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0] ?? '');
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join(' '), rotated);
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of [...edges.keys()].sort()) if (!state.has(id)) visit(id);
  return [...cycles.values()];
}

function samePair(a: Pick<Plan, 'regions'>, b: Pick<Plan, 'regions'>): boolean {
  return a.regions.primary === b.regions.primary && a.regions.recovery === b.regions.recovery;
}

function pair(plan: Pick<Plan, 'regions'>): string {
  return `${plan.regions.primary} -> ${plan.regions.recovery}`;
}
