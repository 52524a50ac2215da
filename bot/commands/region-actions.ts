import { LifeboatError, NotFoundError } from '../../orchestrator/domain/errors.ts';
import { type Incident, incidentEnded } from '../../orchestrator/domain/incident.ts';
import type { Region } from '../../orchestrator/domain/regions.ts';
import { auditRegion, checkRegionAccess } from '../access.ts';
import { incidentSummaryText } from '../blocks/incident-card.ts';
import type { BotDeps } from '../deps.ts';
import { describeErrorForSlack } from '../sanitize.ts';
import { escapeKeepingMentions, escapeSlackText, formatSlackDate } from '../slack-text.ts';
import type { CommandCaller, Reply } from './dr-actions.ts';

/** How many past incidents `/dr status region` lists when none is open. */
const LATEST_SHOWN = 5;

/**
 * `/dr failover region <region> [reason]`: the operations channel's requesters ask for every plan
 * of a lost region at once. The coordinator takes the region's lock and starts the incident; a
 * refusal (no plan has that primary, one is open already, not configured) is told and audited.
 */
export async function requestRegionFailover(
  deps: BotDeps,
  caller: CommandCaller,
  region: Region,
  reason: string | undefined,
): Promise<Reply> {
  const where = { region, userId: caller.userId, channelId: caller.channelId };
  const auth = await checkRegionAccess(deps, caller.client, { ...where, action: 'request' });
  if (!auth.ok) return { text: auth.reason };
  const userName = await caller.userName;
  let started: Awaited<ReturnType<BotDeps['incidents']['requestRegionFailover']>>;
  try {
    started = await deps.incidents.requestRegionFailover({
      region,
      requestedBy: caller.userId,
      ...(userName ? { requestedByName: userName } : {}),
      ...(reason ? { reason } : {}),
      channel: caller.channelId,
    });
  } catch (error) {
    if (!(error instanceof LifeboatError)) throw error;
    await auditRegion(deps, { ...where, action: 'request' }, false, error.message);
    return { text: escapeKeepingMentions(describeErrorForSlack(error)) };
  }
  deps.onIncidentStarted?.(started.incidentId);
  const required = deps.regionWide?.approvals ?? 2;
  return {
    text: `Requested the region-wide failover of ${escapeSlackText(region)}: incident \`${started.incidentId}\`, ${started.plans.length} plan${started.plans.length === 1 ? '' : 's'} (${escapeSlackText(shortList(started.plans))}), run from ${started.executionRegion}. Pre-flight checks of every plan are running; the request card follows in this channel, and ${required} approvers other than you must approve it.`,
  };
}

/** `/dr status region <region>`: the open incident plan by plan, or the region's latest ones. */
export async function showRegionStatus(
  deps: BotDeps,
  caller: CommandCaller,
  region: Region,
): Promise<Reply> {
  const auth = await checkRegionAccess(deps, caller.client, {
    region,
    userId: caller.userId,
    channelId: caller.channelId,
    action: 'view',
  });
  if (!auth.ok) return { text: auth.reason };
  const open = await deps.incidents.openIncident(region);
  if (open) {
    const incident = await deps.incidents.getIncident(open).catch((error: unknown) => {
      // The lock is taken before the incident's record is written (its pre-flight runs first).
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!incident)
      return {
        text: `Incident \`${escapeSlackText(open)}\` of ${escapeSlackText(region)} is preparing: the pre-flight of every plan is running, and its request card follows in <#${deps.regionWide?.channel ?? caller.channelId}>.`,
      };
    return { text: incidentSummaryText(incident, deps.now()) };
  }
  const latest = await deps.incidents.listIncidents(region, LATEST_SHOWN);
  if (latest.length === 0)
    return {
      text: `No region-wide incident of ${escapeSlackText(region)} is open, and none ran yet.`,
    };
  const lines = latest.map(
    (i) =>
      `• ${formatSlackDate(i.createdAt)} \`${escapeSlackText(i.incidentId)}\`: ${i.status}, ${i.plans.filter((p) => p.state === 'succeeded').length}/${i.plans.length} plans recovered`,
  );
  return {
    text: `No region-wide incident of ${escapeSlackText(region)} is open. The latest:\n${lines.join('\n')}`,
  };
}

/** `/dr status <incident>`: one incident, open or not. */
export async function showIncident(
  deps: BotDeps,
  caller: CommandCaller,
  incidentId: string,
): Promise<Reply> {
  const incident = await allowedIncident(deps, caller, incidentId, 'view');
  if ('text' in incident) return incident;
  return { text: incidentSummaryText(incident, deps.now()) };
}

/**
 * `/dr abort <incident>`: no plan starts any more, and each running plan's run aborts at its next
 * step boundary (an approval still open closes as aborted).
 */
export async function abortIncident(
  deps: BotDeps,
  caller: CommandCaller,
  incidentId: string,
): Promise<Reply> {
  const incident = await allowedIncident(deps, caller, incidentId, 'abort');
  if ('text' in incident) return incident;
  const id = escapeSlackText(incidentId);
  if (incidentEnded(incident.status))
    return {
      text: `Incident \`${id}\` has ended (${incident.status}); there is nothing to abort.`,
    };
  if (incident.abortRequested) return { text: `Incident \`${id}\` is already aborting.` };
  await deps.incidents.abortIncident(incidentId, caller.userId, await caller.userName);
  return {
    text: `Incident \`${id}\` of ${escapeSlackText(incident.region)} aborts: no more plans start, and each running plan's run aborts at its next step boundary and writes its report; servers stay where they are. \`/dr status region ${escapeSlackText(incident.region)}\` follows it.`,
  };
}

/** An incident cannot pause as a whole: its runs can, one by one. */
export function cannotPauseIncident(action: 'pause' | 'resume', incidentId: string): Reply {
  return {
    text: `Incident \`${escapeSlackText(incidentId)}\` cannot ${action} as a whole: ${action} its plans' runs one by one (\`/dr status ${escapeSlackText(incidentId)}\` lists them), or abort it with \`/dr abort ${escapeSlackText(incidentId)}\`.`,
  };
}

/** The incident, once the caller may take the action on its region here; else the denial to answer. */
async function allowedIncident(
  deps: BotDeps,
  caller: CommandCaller,
  incidentId: string,
  action: 'view' | 'abort',
): Promise<Incident | Reply> {
  const incident = await loadIncident(deps, incidentId);
  const auth = await checkRegionAccess(deps, caller.client, {
    region: incident.region,
    userId: caller.userId,
    channelId: caller.channelId,
    action,
    incidentId,
  });
  return auth.ok ? incident : { text: auth.reason };
}

async function loadIncident(deps: BotDeps, incidentId: string): Promise<Incident> {
  try {
    return await deps.incidents.getIncident(incidentId);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(
        `Incident "${incidentId}"`,
        'copy the incident id from its card, or use /dr status region <region>.',
      );
    throw error;
  }
}

function shortList(ids: readonly string[]): string {
  return ids.length <= 6
    ? ids.join(', ')
    : `${ids.slice(0, 6).join(', ')} and ${ids.length - 6} more`;
}
