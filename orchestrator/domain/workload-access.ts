/**
 * How Lifeboat reaches a customer's workload account: one role that acts (recovery), one that
 * only reads (readiness), both deployed from the same template, and the tag onboarding puts on
 * every resource of a plan so the acting role reaches that plan's resources and no others.
 */

/** The tag on a plan's source servers, source instances, pre-created instances and hook targets. */
export const PLAN_TAG_KEY = 'lifeboat:plan';

/** The tag Lifeboat puts on the stacks its stack hooks create; it updates and deletes only these. */
export const MANAGED_STACK_TAG = { key: 'lifeboat:managed', value: 'true' } as const;

/** Stack hooks create, update and delete stacks named with this prefix only. */
export const STACK_HOOK_PREFIX = 'lifeboat-';

/** The read-only role is named after the acting role (`LifeboatExecution` -> `LifeboatExecutionReadOnly`). */
export const READ_ONLY_ROLE_SUFFIX = 'ReadOnly';

/** Either role; `read` is for checks that change nothing (readiness, `/dr readiness`). */
export type WorkloadAccess = 'act' | 'read';

/** The name of the role Lifeboat assumes for `access`, given the plan's `account.roleName`. */
export function workloadRoleName(roleName: string, access: WorkloadAccess): string {
  return access === 'act' ? roleName : `${roleName}${READ_ONLY_ROLE_SUFFIX}`;
}
