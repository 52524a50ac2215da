import type { Plan } from '../domain/plan.ts';

export interface LoadedPlan {
  plan: Plan;
  /** Where the plan came from, for messages: a file path or a table key. */
  source: string;
  /** A short digest of the plan's text: shown on approval cards, recorded with every run. */
  revision: string;
}

/** Where customers' plans live: YAML files in the repository today, the state table later. */
export interface PlanSource {
  listCustomers(): Promise<string[]>;
  /** @throws UnknownCustomerError, PlanValidationError */
  loadPlan(customerId: string): Promise<LoadedPlan>;
}
