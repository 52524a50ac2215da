import {
  type AdmissionDecision,
  type AdmissionRequest,
  type BudgetKey,
  type BudgetLimits,
  type BudgetState,
  decideAdmission,
  emptyBudget,
  type LeaseChange,
  releaseLease,
  renewLease,
} from '../../orchestrator/domain/admission.ts';
import type { AdmissionStore } from '../../orchestrator/ports/admission.ts';

/** DRS budgets in memory: the domain's decisions applied to a map, one budget per key. */
export class FakeAdmissionStore implements AdmissionStore {
  readonly budgets = new Map<string, BudgetState>();
  /** Every decision given, in order, for tests that follow the queue. */
  readonly decisions: { runId: string; kind: AdmissionDecision['kind'] }[] = [];

  async acquire(
    request: AdmissionRequest,
    limits: BudgetLimits,
    now: number,
  ): Promise<AdmissionDecision> {
    const id = idOf(request);
    const decision = decideAdmission(
      { ...(this.budgets.get(id) ?? emptyBudget(limits)), limits },
      request,
      now,
    );
    this.budgets.set(id, decision.state);
    this.decisions.push({ runId: request.runId, kind: decision.kind });
    return decision;
  }

  async renew(key: BudgetKey, token: number, now: number): Promise<LeaseChange> {
    return this.apply(key, (state) => renewLease(state, token, now));
  }

  async release(key: BudgetKey, token: number, now: number): Promise<LeaseChange> {
    return this.apply(key, (state) => releaseLease(state, token, now));
  }

  async budget(key: BudgetKey): Promise<BudgetState | undefined> {
    return this.budgets.get(idOf(key));
  }

  private apply(key: BudgetKey, change: (state: BudgetState) => LeaseChange): LeaseChange {
    const result = change(this.budgets.get(idOf(key)) ?? emptyBudget({ jobs: 1, servers: 1 }));
    if (result.kind === 'applied') this.budgets.set(idOf(key), result.state);
    return result;
  }
}

const idOf = (key: BudgetKey) => `${key.account}#${key.region}`;
