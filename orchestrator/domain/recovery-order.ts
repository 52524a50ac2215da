import { PlanValidationError } from './errors.ts';
import type { After, Plan, PlanKind } from './plan.ts';
import { checkPlanSet } from './plan-set.ts';
import type { Region } from './regions.ts';

/** One plan's place in a region-wide recovery. */
export interface RecoveryStart {
  customerId: string;
  kind: PlanKind;
  priority: number;
  /** Its own priority, or the most urgent of the plans that wait on it, so a priority-1 plan never waits behind a priority-5 one. */
  startPriority: number;
  /** 0: may start at once; n: once the plans it waits for (of levels below n) allow. */
  level: number;
  /** The plans of this recovery it waits for: recovered, or having reached `wave`. */
  waitsFor: After[];
}

type OrderPlan = Pick<Plan, 'customer' | 'regions' | 'after' | 'waves' | 'kind' | 'priority'>;

/**
 * The order in which the plans of a lost region may start: a plan starts only after the plans
 * it names in `after`; among the plans free to start, priority 1 first, then by id. A plan
 * others wait on inherits their most urgent priority (a priority-1 customer's shared services
 * start as priority 1). With
 * `lostRegion`, only the plans whose primary it is take part, and an `after` naming a plan
 * outside them is already met (that plan is not failing over). Throws on an `after` cycle.
 */
export function planRecoveryOrder(
  plans: readonly OrderPlan[],
  lostRegion?: Region,
): RecoveryStart[] {
  const taking = plans.filter((p) => lostRegion === undefined || p.regions.primary === lostRegion);
  const cycles = checkPlanSet(taking).filter((p) => p.code === 'after-cycle');
  if (cycles.length > 0) throw new PlanValidationError('The recovery order', cycles);

  const byId = new Map(taking.map((p) => [p.customer.id, p]));
  const waitsFor = new Map(
    taking.map((p) => [
      p.customer.id,
      p.after.filter((a) => a.plan !== p.customer.id && byId.has(a.plan)),
    ]),
  );
  const urgency = new Map(taking.map((p) => [p.customer.id, p.priority]));
  // Pass urgency down the after edges until it settles: at most one round per plan on a chain.
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of taking) {
      const own = urgency.get(p.customer.id) ?? p.priority;
      for (const a of waitsFor.get(p.customer.id) ?? []) {
        if ((urgency.get(a.plan) ?? 0) > own) {
          urgency.set(a.plan, own);
          changed = true;
        }
      }
    }
  }
  const level = new Map<string, number>();
  const order: RecoveryStart[] = [];
  const first = (a: OrderPlan, b: OrderPlan) =>
    (urgency.get(a.customer.id) ?? 0) - (urgency.get(b.customer.id) ?? 0) ||
    a.customer.id.localeCompare(b.customer.id);
  let pending = [...taking].sort(first);
  while (pending.length > 0) {
    const next = pending.find((p) =>
      (waitsFor.get(p.customer.id) ?? []).every((a) => level.has(a.plan)),
    );
    if (!next) break; // unreachable: cycles were refused above
    const id = next.customer.id;
    const waits = waitsFor.get(id) ?? [];
    level.set(id, Math.max(-1, ...waits.map((a) => level.get(a.plan) ?? 0)) + 1);
    order.push({
      customerId: id,
      kind: next.kind,
      priority: next.priority,
      startPriority: urgency.get(id) ?? next.priority,
      level: level.get(id) ?? 0,
      waitsFor: waits,
    });
    pending = pending.filter((p) => p !== next);
  }
  return order;
}
