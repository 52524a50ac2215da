import type { WebClient } from '@slack/web-api';
import { formatDuration } from '../../orchestrator/domain/duration.ts';
import {
  LifeboatError,
  NotFoundError,
  OperationInProgressError,
} from '../../orchestrator/domain/errors.ts';
import { type Execution, hasEnded } from '../../orchestrator/domain/execution.ts';
import { isIncidentId } from '../../orchestrator/domain/incident.ts';
import type { Plan } from '../../orchestrator/domain/plan.ts';
import { describePlan } from '../../orchestrator/domain/plan-overview.ts';
import { checkAccess } from '../access.ts';
import type { Action } from '../authorize.ts';
import { operationTitle } from '../blocks/labels.ts';
import { renderFinalReport } from '../blocks/prompts.ts';
import type { BotDeps } from '../deps.ts';
import { describeErrorForSlack } from '../sanitize.ts';
import {
  cutSlackText,
  escapeAndCut,
  escapeKeepingMentions,
  escapeSlackText,
  formatSlackDate,
  mentionUser,
} from '../slack-text.ts';
import { type DrCommand, renderHelp } from './parse-command.ts';
import {
  abortIncident,
  cannotPauseIncident,
  requestRegionFailover,
  showIncident,
  showRegionStatus,
} from './region-actions.ts';

/** Who typed the command, and where. */
export interface CommandCaller {
  userId: string;
  /**
   * The caller's name, journaled beside the id: a promise while Slack is asked for it (in
   * parallel with the command's checks), never rejected.
   */
  userName?: string | Promise<string | undefined>;
  channelId: string;
  responseUrl: string;
  client: WebClient;
}

/** The private answer to a command: mrkdwn text, escaped where it came from people or plans. */
export interface Reply {
  text: string;
  blocks?: unknown[];
}

/**
 * Carries out one parsed `/dr` command: authorize, at most one conditional write and one
 * hand-off, and the answer. Nothing here waits on DRS, DNS or SSM.
 */
export async function runDrCommand(
  deps: BotDeps,
  caller: CommandCaller,
  command: DrCommand,
): Promise<Reply> {
  try {
    return await dispatch(deps, caller, command);
  } catch (error) {
    if (error instanceof DeniedReply) return { text: error.message };
    if (error instanceof LifeboatError)
      return { text: escapeKeepingMentions(describeErrorForSlack(error)) };
    throw error;
  }
}

async function dispatch(deps: BotDeps, caller: CommandCaller, command: DrCommand): Promise<Reply> {
  switch (command.name) {
    case 'help':
      return { text: `*Lifeboat* (\`/dr\`):\n${renderHelp(command.topic)}` };
    case 'drill':
    case 'failover':
    case 'failback':
      return requestOperation(deps, caller, command);
    case 'status':
      if (command.target && isIncidentId(command.target))
        return showIncident(deps, caller, command.target);
      return status(deps, caller, command.target);
    case 'failover-region':
      return requestRegionFailover(deps, caller, command.region, command.reason);
    case 'status-region':
      return showRegionStatus(deps, caller, command.region);
    case 'pause':
    case 'resume':
    case 'abort':
      if (isIncidentId(command.run))
        return command.name === 'abort'
          ? abortIncident(deps, caller, command.run)
          : cannotPauseIncident(command.name, command.run);
      return controlRun(deps, caller, command.name, command.run);
    case 'plan':
      return showPlan(deps, caller, command.customer);
    case 'readiness': {
      const { plan } = await allowed(deps, caller, command.customer, 'view');
      await deps.defer({
        kind: 'readiness',
        customerId: plan.customer.id,
        operation: 'drill',
        responseUrl: caller.responseUrl,
        userId: caller.userId,
      });
      return {
        text: `Checking the readiness of ${name(plan)} now (replication, lag, instances, DNS, quotas); the result follows here in a few seconds.`,
      };
    }
    case 'history':
      return history(deps, caller, command.customer);
    case 'report':
      if (isIncidentId(command.run))
        return {
          text: `An incident's report is linked in its final message, in the operations channel; each of its plans' runs has its own (\`/dr report <run>\`, the runs listed by \`/dr status ${command.run}\`).`,
        };
      return report(deps, caller, command.run);
  }
}

/** The plan, once the caller may take the action on it from this channel; throws DeniedReply otherwise. */
async function allowed(
  deps: BotDeps,
  caller: CommandCaller,
  customerId: string,
  action: Action,
  executionId?: string,
): Promise<{ plan: Plan; groups: string[] }> {
  const { plan } = await deps.runs.loadPlan(customerId);
  const auth = await checkAccess(deps, caller.client, {
    plan,
    userId: caller.userId,
    channelId: caller.channelId,
    action,
    ...(executionId ? { executionId } : {}),
  });
  // The reason is already escaped mrkdwn; LifeboatError text is escaped again by the caller.
  if (!auth.ok) throw new DeniedReply(auth.reason);
  return { plan, groups: auth.groups };
}

function name(plan: Plan): string {
  return `${escapeSlackText(plan.customer.name)} (\`${plan.customer.id}\`)`;
}

async function requestOperation(
  deps: BotDeps,
  caller: CommandCaller,
  command: Extract<DrCommand, { name: 'drill' | 'failover' | 'failback' }>,
): Promise<Reply> {
  const operation =
    command.name === 'drill' ? (command.bubble ? 'bubble-drill' : 'drill') : command.name;
  const { plan } = await allowed(deps, caller, command.customer, 'request');
  const userName = await caller.userName;
  const started = await deps.runs.start({
    customerId: plan.customer.id,
    operation,
    requestedBy: caller.userId,
    ...(userName ? { requestedByName: userName } : {}),
    channel: caller.channelId,
    ...(command.name === 'failover' && command.reason ? { reason: command.reason } : {}),
    ...(command.name === 'failover' && command.since ? { disruptionAt: command.since } : {}),
  });
  if (started.alreadyRunning)
    return {
      text: escapeKeepingMentions(
        new OperationInProgressError(plan.customer.id, started.executionId).message,
      ),
    };
  deps.onRunStarted?.(started.executionId);
  return {
    text: `Requested the ${operationTitle(operation).toLowerCase()} of ${name(plan)} in ${started.region}: run \`${started.executionId}\`. Pre-flight checks are running; the request card follows in this channel, and a second person must approve it.`,
  };
}

async function status(deps: BotDeps, caller: CommandCaller, target?: string): Promise<Reply> {
  if (!target)
    return {
      text: 'Say which: `/dr status <customer>`, `/dr status <run>` or `/dr status region <region>`.',
    };
  const isCustomer = await deps.runs
    .loadPlan(target)
    .then(() => true)
    .catch(() => false);
  if (isCustomer) {
    const { plan } = await allowed(deps, caller, target, 'view');
    const active = await deps.runs.activeRun(plan.customer.id);
    if (!active) return { text: `No operation is running for ${name(plan)}.` };
    return { text: describeExecution(await loadRun(deps, active), plan) };
  }
  const execution = await loadRun(deps, target);
  const { plan } = await allowed(deps, caller, execution.customerId, 'view', execution.executionId);
  return { text: describeExecution(execution, plan) };
}

async function loadRun(deps: BotDeps, executionId: string): Promise<Execution> {
  try {
    return await deps.runs.getExecution(executionId);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(
        `Run "${executionId}"`,
        'copy the run id from its status card, or use /dr status <customer>.',
      );
    throw error;
  }
}

function describeExecution(execution: Execution, plan: Plan): string {
  const flags = [
    execution.pauseRequested ? 'pause requested' : '',
    execution.abortRequested ? 'abort requested' : '',
  ].filter(Boolean);
  return `${operationTitle(execution.operation)} of ${name(plan)}: *${execution.status}*${flags.length ? ` (${flags.join(', ')})` : ''}, run \`${execution.executionId}\`, requested by ${mentionUser(execution.requestedBy)} ${formatSlackDate(execution.startedAt)}.`;
}

async function controlRun(
  deps: BotDeps,
  caller: CommandCaller,
  action: 'pause' | 'resume' | 'abort',
  executionId: string,
): Promise<Reply> {
  const execution = await loadRun(deps, executionId);
  const { plan, groups } = await allowed(deps, caller, execution.customerId, action, executionId);
  if (hasEnded(execution.status))
    return {
      text: `Run \`${executionId}\` has ended (${execution.status}); there is nothing to ${action}.`,
    };
  if (action === 'pause') {
    if (execution.pauseRequested) return { text: `Run \`${executionId}\` is already pausing.` };
    await deps.runs.requestPause(executionId, caller.userId, await caller.userName);
    return {
      text: `Run \`${executionId}\` of ${name(plan)} pauses before its next step; \`/dr resume ${executionId}\` resumes it.`,
    };
  }
  if (action === 'abort') {
    if (execution.abortRequested) return { text: `Run \`${executionId}\` is already aborting.` };
    await deps.runs.requestAbort(executionId, caller.userId, await caller.userName);
    return {
      text: `Run \`${executionId}\` of ${name(plan)} aborts at its next step boundary and writes its report; servers stay where they are.`,
    };
  }
  const userName = await caller.userName;
  const how = await deps.runs.resume(executionId, {
    user: caller.userId,
    ...(userName ? { userName } : {}),
    groups,
  });
  return {
    text:
      how === 'resumed'
        ? `Run \`${executionId}\` of ${name(plan)} resumes.`
        : `Run \`${executionId}\` had not paused yet; the pause is withdrawn and it goes on.`,
  };
}

async function showPlan(deps: BotDeps, caller: CommandCaller, customerId: string): Promise<Reply> {
  const { plan } = await allowed(deps, caller, customerId, 'view');
  const overview = describePlan(plan);
  const waves = overview.waves.map(
    (w, i) =>
      `${i + 1}. *${escapeSlackText(w.name)}* (${w.servers.length} servers, timeout ${w.timeout}): ${escapeAndCut(
        w.servers.map((s) => s.name).join(', '),
        400,
      )}`,
  );
  return {
    // Cut after escaping, never through an entity or a mention.
    text: cutSlackText(
      `*Plan of ${name(plan)}*: ${plan.regions.primary} → ${plan.regions.recovery}, ${overview.serverCount} servers, RPO ${overview.targets.rpo}, RTO ${overview.targets.rto}, drills ${overview.drillMode}.\n${waves.join('\n')}\nOperations: ${Object.keys(overview.runbooks).join(', ')}.`,
      3000,
    ),
  };
}

async function history(deps: BotDeps, caller: CommandCaller, customerId: string): Promise<Reply> {
  const { plan } = await allowed(deps, caller, customerId, 'view');
  const runs = await deps.runs.history(plan.customer.id, 10);
  if (runs.length === 0) return { text: `${name(plan)} has no runs yet.` };
  const figure = (m?: { seconds: number | null; target: number; met: boolean }) =>
    !m
      ? '–'
      : m.seconds === null
        ? 'not measured'
        : `${formatDuration(m.seconds)} ${m.met ? '✅' : '❌'}`;
  const lines = runs.map(
    (r) =>
      `• ${formatSlackDate(r.startedAt)} ${operationTitle(r.operation)} \`${r.executionId}\`: ${r.outcome ?? 'running'}; RTO ${figure(r.rto)}, RPO ${figure(r.rpo)}`,
  );
  return {
    text: `*Recent runs of ${name(plan)}* (targets RPO ${formatDuration(plan.targets.rpo)}, RTO ${formatDuration(plan.targets.rto)}):\n${lines.join('\n')}`,
  };
}

async function report(deps: BotDeps, caller: CommandCaller, executionId: string): Promise<Reply> {
  const execution = await loadRun(deps, executionId);
  await allowed(deps, caller, execution.customerId, 'view', executionId);
  const measured = await deps.runs.report(executionId);
  const files =
    ((await deps.runs.getSteps(executionId)).get('report')?.progress.files as
      | Record<string, string>
      | undefined) ?? {};
  const message = renderFinalReport(measured, files);
  return { text: message.text, blocks: message.blocks };
}

/** A denial whose text is already Slack mrkdwn. */
class DeniedReply extends Error {}
