import type { Plan } from './plan.ts';
import { checkPlanTextFit, type PlanTextWarning } from './plan-text-fit.ts';

/** What `plan validate` warns of: the plan runs, but not as well as it could. */
export function planWarnings(plan: Plan): PlanTextWarning[] {
  return [...checkPlanTextFit(plan), ...checkDnsResilience(plan)];
}

/**
 * Records in `change` mode are rewritten with ChangeResourceRecordSets, on Route 53's control
 * plane, which runs in us-east-1 alone: a plan whose primary is us-east-1 cannot flip them in
 * the very outage it fails over for.
 */
export function checkDnsResilience(plan: Plan): PlanTextWarning[] {
  if (plan.regions.primary !== 'us-east-1') return [];
  return (plan.dns?.records ?? []).flatMap((record, r) =>
    record.mode === 'change'
      ? [
          {
            path: `dns.records[${r}].mode`,
            message: `"${record.name}" changes on Route 53's control plane, which runs in us-east-1 only: while us-east-1 is down it cannot be flipped. Use mode: failover (failover records moved by ARC routing controls).`,
          },
        ]
      : [],
  );
}
