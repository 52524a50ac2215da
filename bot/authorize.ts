import type { Plan } from '../orchestrator/domain/plan.ts';
import { escapeSlackText } from './slack-text.ts';

/**
 * Who may do what, from the customer's plan: `requesters` are operators, `approvers` approvers,
 * `viewers` viewers, and Lifeboat's admins (from the environment) everything but signing off for
 * a customer. A principal is a user id or one of the user's user groups.
 */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = [
  'view',
  'request',
  'approve',
  'sign-off',
  'pause',
  'resume',
  'abort',
  'decide',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface SlackUser {
  id: string;
  /** The user groups (`S…`) the user belongs to. */
  groups: readonly string[];
}

/** The least role each action needs; `sign-off` needs a place on the plan's signOff list instead. */
const NEEDS: Readonly<Record<Exclude<Action, 'sign-off'>, Role>> = {
  view: 'viewer',
  request: 'operator',
  approve: 'approver',
  pause: 'operator',
  resume: 'operator',
  abort: 'operator',
  decide: 'operator',
};

const DOING: Readonly<Record<Action, string>> = {
  view: 'see the operations of',
  request: 'request operations on',
  approve: 'approve operations on',
  'sign-off': 'sign off operations for',
  pause: 'pause runs of',
  resume: 'resume runs of',
  abort: 'abort runs of',
  decide: 'decide on failed runs of',
};

export function rankOf(role: Role): number {
  return ROLES.indexOf(role);
}

function listed(principals: readonly string[], user: SlackUser): boolean {
  return principals.includes(user.id) || user.groups.some((g) => principals.includes(g));
}

/** Whether the user may record the customer's sign-off (the plan's `signOff` list). */
export function canSignOff(plan: Plan, user: SlackUser): boolean {
  return listed(plan.access.signOff, user);
}

/**
 * The user's highest role on this customer, or undefined for none. Whoever may sign off also
 * sees the run they sign off, so the signOff list gives at least `viewer`.
 */
export function roleOf(plan: Plan, user: SlackUser, admins: readonly string[]): Role | undefined {
  if (listed(admins, user)) return 'admin';
  if (listed(plan.access.approvers, user)) return 'approver';
  if (listed(plan.access.requesters, user)) return 'operator';
  if (listed(plan.access.viewers, user) || canSignOff(plan, user)) return 'viewer';
  return undefined;
}

interface AuthorizeBase {
  plan: Plan;
  user: SlackUser;
  channelId: string;
  /** Lifeboat admins: user ids or user groups. */
  admins: readonly string[];
}

export type AuthorizeInput = AuthorizeBase &
  (
    | { action: Exclude<Action, 'approve'> }
    /** The two-person rule: nobody approves their own request, admins included. */
    | { action: 'approve'; requester: string }
  );

export type Authorization =
  | { ok: true; role: Role | undefined }
  | {
      ok: false;
      /** For an ephemeral reply to the user: Slack mrkdwn, escaped. */
      reason: string;
    };

/** Whether the user may take the action on the plan's customer from this channel. */
export function authorize(input: AuthorizeInput): Authorization {
  const { plan, user, channelId, admins, action } = input;
  const customer = `${escapeSlackText(plan.customer.name)} (\`${plan.customer.id}\`)`;
  if (!plan.slack.channels.includes(channelId)) {
    return {
      ok: false,
      reason: `Operations on ${customer} run only in ${plan.slack.channels.map((c) => `<#${c}>`).join(' or ')}; try again there.`,
    };
  }
  const role = roleOf(plan, user, admins);
  if (action === 'sign-off') {
    if (canSignOff(plan, user)) return { ok: true, role };
    return {
      ok: false,
      reason: `Only the people on the sign-off list of ${customer} may sign off for the customer; ask one of them.`,
    };
  }
  const needed = NEEDS[action];
  if (!role || rankOf(role) < rankOf(needed)) {
    const have = role ? `you are ${article(role)} ${role}` : 'you have no role on it';
    return {
      ok: false,
      reason: `To ${DOING[action]} ${customer} you need the ${needed} role, and ${have}. Ask for it to be added to the customer's plan.`,
    };
  }
  if (input.action === 'approve' && input.requester === user.id) {
    return {
      ok: false,
      reason: 'You requested this operation, so you cannot approve it: a second person must.',
    };
  }
  return { ok: true, role };
}

function article(role: Role): string {
  return /^[aeiou]/.test(role) ? 'an' : 'a';
}

/** What people do with region-wide incidents. */
export const REGION_ACTIONS = ['view', 'request', 'approve', 'abort'] as const;
export type RegionAction = (typeof REGION_ACTIONS)[number];

const REGION_NEEDS: Readonly<Record<RegionAction, Role>> = {
  view: 'viewer',
  request: 'operator',
  approve: 'approver',
  abort: 'operator',
};

const REGION_DOING: Readonly<Record<RegionAction, string>> = {
  view: 'see region-wide incidents',
  request: 'request a region-wide failover',
  approve: 'approve a region-wide failover',
  abort: 'abort a region-wide incident',
};

/** Where each region-wide role is listed in config/defaults.yaml. */
const REGION_LIST: Readonly<Record<Exclude<Role, 'admin'>, string>> = {
  viewer: 'regionWide.viewers',
  operator: 'regionWide.requesters',
  approver: 'regionWide.approvers',
};

/** The principals of region-wide operations, as `RegionWideSettings` lists them. */
export interface RegionWideAccess {
  channel: string;
  requesters: readonly string[];
  approvers: readonly string[];
  viewers: readonly string[];
}

/**
 * The user's highest role on region-wide operations, as on a plan: `requesters` are operators,
 * `approvers` approvers, `viewers` viewers, Lifeboat's admins admins.
 */
export function regionRoleOf(
  access: RegionWideAccess,
  user: SlackUser,
  admins: readonly string[],
): Role | undefined {
  if (listed(admins, user)) return 'admin';
  if (listed(access.approvers, user)) return 'approver';
  if (listed(access.requesters, user)) return 'operator';
  if (listed(access.viewers, user)) return 'viewer';
  return undefined;
}

export interface RegionAuthorizeInput {
  /** Undefined when region-wide operations are not configured. */
  access: RegionWideAccess | undefined;
  user: SlackUser;
  channelId: string;
  admins: readonly string[];
  action: RegionAction;
  /** For approvals: who requested the incident, under the two-person rule. */
  requester?: string;
}

/** Whether the user may take the region-wide action from this channel (the operations channel only). */
export function authorizeRegionWide(input: RegionAuthorizeInput): Authorization {
  const { access, user, channelId, admins, action } = input;
  if (!access)
    return {
      ok: false,
      reason:
        'Region-wide operations are not configured: add `regionWide` (channel, requesters, approvers) to config/defaults.yaml.',
    };
  if (channelId !== access.channel)
    return {
      ok: false,
      reason: `Region-wide operations run only in the operations channel <#${access.channel}>; try again there.`,
    };
  const role = regionRoleOf(access, user, admins);
  const needed = REGION_NEEDS[action];
  if (!role || rankOf(role) < rankOf(needed)) {
    const have = role ? `you are ${article(role)} ${role}` : 'you have no region-wide role';
    return {
      ok: false,
      reason: `To ${REGION_DOING[action]} you need the region-wide ${needed} role (${REGION_LIST[needed as Exclude<Role, 'admin'>]}), and ${have}. Ask for it to be added there.`,
    };
  }
  if (action === 'approve' && input.requester === user.id)
    return {
      ok: false,
      reason: 'You requested this incident, so you cannot approve it: a second person must.',
    };
  return { ok: true, role };
}
