/**
 * Lifeboat's functions that reach customers' accounts, and the fixed names of their roles: the
 * customers' roles trust these names, one per function and region, and no other role of the
 * tooling account (not the internet-facing ingress, not the health check).
 */

/** The step functions that act in customers' accounts: the recovery role trusts these. */
export const ACTING_FUNCTIONS = ['start-step', 'poll-step'] as const;

/** The functions that only read there (readiness, an incident's): the read-only role trusts these. */
export const READING_FUNCTIONS = ['notifier', 'incident-task'] as const;

/**
 * The role people assume in the tooling account to read a customer's account while onboarding
 * (`lifeboat plan validate <customer> --live`): the read-only roles trust it too, and it may
 * assume nothing else. The tooling account's administrators grant it to the operators.
 */
export const ONBOARDING_ROLE_NAME = 'lifeboat-onboarding';

export type WorkloadFunction =
  | (typeof ACTING_FUNCTIONS)[number]
  | (typeof READING_FUNCTIONS)[number];

/** `lifeboat-<function>-<region>`: role names are global in an account, so the region is in the name. */
export function functionRoleName(fn: WorkloadFunction | string, region: string): string {
  return `lifeboat-${fn}-${region}`;
}
