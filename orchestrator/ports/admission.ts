import type {
  AdmissionDecision,
  AdmissionRequest,
  BudgetKey,
  BudgetLimits,
  BudgetState,
  LeaseChange,
} from '../domain/admission.ts';

/**
 * The DRS budgets shared by every run (jobs and servers in active jobs, per recovery account and
 * region), as leases. Each method reads one budget, applies the domain's decision to it and
 * writes it back only if nobody wrote it meanwhile (trying again when someone did): two runs
 * racing for the last slot cannot both get it. An adapter needs one item per budget and a
 * conditional write checked wherever the writers are (a multi-Region strongly consistent table
 * when runs start in several regions); no transactions, no TTL.
 */
export interface AdmissionStore {
  /** A lease for one DRS job, or why and where in the queue it waits (`decideAdmission`). */
  acquire(request: AdmissionRequest, limits: BudgetLimits, now: number): Promise<AdmissionDecision>;
  /** Extends a lease while its job runs; refused when its token no longer holds a live lease. */
  renew(key: BudgetKey, token: number, now: number): Promise<LeaseChange>;
  /** Frees a lease when its job ends; refused (changing nothing) for a token that holds nothing. */
  release(key: BudgetKey, token: number, now: number): Promise<LeaseChange>;
  /** The budget as stored (for status and tests); undefined when nobody used it yet. */
  budget(key: BudgetKey): Promise<BudgetState | undefined>;
}
