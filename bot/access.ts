import type { WebClient } from '@slack/web-api';
import { regionLockKey } from '../orchestrator/domain/incident.ts';
import type { Plan } from '../orchestrator/domain/plan.ts';
import {
  type Action,
  type Authorization,
  authorize,
  authorizeRegionWide,
  type RegionAction,
} from './authorize.ts';
import type { BotDeps } from './deps.ts';
import { SlackUnavailableError } from './errors.ts';
import { escapeSlackText } from './slack-text.ts';

export interface AccessRequest {
  plan: Plan;
  userId: string;
  channelId: string;
  action: Action;
  /** For approvals: who requested, under the two-person rule. */
  requester?: string;
  executionId?: string;
}

/**
 * Authorizes one request against the plan, resolving only the user groups the plan names.
 * Every denial, and every allowed action that changes a run, goes to the customer's audit log.
 */
export async function checkAccess(
  deps: BotDeps,
  client: WebClient,
  request: AccessRequest,
): Promise<Authorization & { groups: string[] }> {
  const { plan, userId, channelId, action } = request;
  const { requesters, approvers, viewers, signOff } = plan.access;
  const candidates = [...requesters, ...approvers, ...viewers, ...signOff, ...deps.admins].filter(
    (p) => p.startsWith('S'),
  );
  let groups: string[];
  try {
    groups = await deps.groupsOf(client, userId, [...new Set(candidates)]);
  } catch (error) {
    if (!(error instanceof SlackUnavailableError)) throw error;
    return { ok: false, reason: escapeSlackText(error.message), groups: [] };
  }
  const user = { id: userId, groups };
  const auth =
    action === 'approve'
      ? authorize({
          plan,
          user,
          channelId,
          admins: deps.admins,
          action,
          requester: request.requester ?? '',
        })
      : authorize({ plan, user, channelId, admins: deps.admins, action });
  if (!auth.ok || action !== 'view') {
    await deps.runs.audit(plan.customer.id, {
      at: deps.now(),
      user: userId,
      action,
      allowed: auth.ok,
      channel: channelId,
      ...(request.executionId ? { executionId: request.executionId } : {}),
      detail: auth.ok ? `${action} allowed` : auth.reason,
    });
  }
  return { ...auth, groups };
}

export interface RegionAccessRequest {
  /** The region the incident is about: its refusals are audited under the region's lock key. */
  region: string;
  userId: string;
  channelId: string;
  action: RegionAction;
  /** For approvals: who requested the incident, under the two-person rule. */
  requester?: string;
  incidentId?: string;
}

/**
 * Authorizes one region-wide request against `regionWide` (its roles, its channel). Every
 * denial, and every allowed action but a look, goes to the audit log under the region's key.
 */
export async function checkRegionAccess(
  deps: BotDeps,
  client: WebClient,
  request: RegionAccessRequest,
): Promise<Authorization & { groups: string[] }> {
  const { userId, channelId, action } = request;
  const access = deps.regionWide;
  const candidates = access
    ? [...access.requesters, ...access.approvers, ...access.viewers, ...deps.admins].filter((p) =>
        p.startsWith('S'),
      )
    : [];
  let groups: string[] = [];
  try {
    if (candidates.length > 0)
      groups = await deps.groupsOf(client, userId, [...new Set(candidates)]);
  } catch (error) {
    if (!(error instanceof SlackUnavailableError)) throw error;
    return { ok: false, reason: escapeSlackText(error.message), groups: [] };
  }
  const auth = authorizeRegionWide({
    access,
    user: { id: userId, groups },
    channelId,
    admins: deps.admins,
    action,
    ...(request.requester ? { requester: request.requester } : {}),
  });
  if (!auth.ok || action !== 'view')
    await auditRegion(deps, request, auth.ok, auth.ok ? `${action} allowed` : auth.reason);
  return { ...auth, groups };
}

/** One region-wide request in the audit log, under the region's lock key (no customer has it). */
export function auditRegion(
  deps: BotDeps,
  request: Omit<RegionAccessRequest, 'requester'>,
  allowed: boolean,
  detail: string,
): Promise<void> {
  return deps.runs.audit(regionLockKey(request.region), {
    at: deps.now(),
    user: request.userId,
    action: `region-${request.action}`,
    allowed,
    channel: request.channelId,
    ...(request.incidentId ? { executionId: request.incidentId } : {}),
    detail,
  });
}

/**
 * The user groups a user is in, from `usergroups.users.list`, each group's members kept for a
 * minute: authorization needs them on every click, and Slack rate-limits the method.
 */
export function createGroupResolver(ttlMs = 60_000, now: () => number = Date.now) {
  const members = new Map<string, { at: number; users: Set<string> }>();
  const membersOf = async (client: WebClient, group: string): Promise<Set<string>> => {
    const cached = members.get(group);
    if (cached && now() - cached.at <= ttlMs) return cached.users;
    try {
      const result = await client.usergroups.users.list({ usergroup: group });
      const users = new Set(result.users ?? []);
      members.set(group, { at: now(), users });
      return users;
    } catch (error) {
      // A group Slack does not know grants nothing; Slack being busy is no answer at all.
      if ((error as { data?: { error?: string } }).data?.error === 'no_such_subteam')
        return new Set();
      throw new SlackUnavailableError(group, (error as Error).message);
    }
  };
  return async (client: WebClient, userId: string, candidates: readonly string[]) => {
    const sets = await Promise.all(candidates.map((group) => membersOf(client, group)));
    return candidates.filter((_, i) => sets[i]?.has(userId));
  };
}
