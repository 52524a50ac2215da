import type { Operation } from '../../orchestrator/domain/plan.ts';

/** An operation as a title: `Drill`, `Bubble drill`, `Failover`, `Failback`. */
export function operationTitle(operation: Operation): string {
  return operation === 'bubble-drill'
    ? 'Bubble drill'
    : `${operation[0]?.toUpperCase() ?? ''}${operation.slice(1)}`;
}
