import { dirname, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GATE_APPROVE_ACTION } from '../bot/blocks/request-card.ts';
import { readSettingsFile } from '../orchestrator/adapters/config-files.ts';
import { type Incident, incidentEnded } from '../orchestrator/domain/incident.ts';
import type { Plan } from '../orchestrator/domain/plan.ts';
import type { Region } from '../orchestrator/domain/regions.ts';
import { describeOutcome, describeTargets, type Report } from '../orchestrator/domain/report.ts';
import type { RegionWideSettings } from '../orchestrator/domain/settings.ts';
import { SANDBOX_USERS } from '../sandbox/slack-sandbox.ts';
import { IncidentStuckError, UsageError } from './errors.ts';
import { DEFAULTS_FILE, type Io } from './io.ts';
import { answerAsks, readingPause, sandboxUsersOf } from './sandbox-scenario.ts';
import { SandboxSession, type SessionOptions } from './sandbox-session.ts';

/** Who plays the incident: its requester, and the approvers (never the requester) it needs. */
export interface IncidentCast {
  requester: string;
  approvers: string[];
}

/** One plan of the incident as it ended, with its child run's report. */
export interface IncidentPlanResult {
  customerId: string;
  name: string;
  state: string;
  executionId?: string;
  report?: Report;
}

export interface IncidentScenarioResult {
  incident: Incident;
  plans: IncidentPlanResult[];
  /** The incident's report files (`incidents/<id>/report.*` under the report dir). */
  files: string[];
}

/** The region-wide requester, and the first sandbox users among the approvers who are someone else. */
export function incidentCastOf(region: Region, regionWide: RegionWideSettings): IncidentCast {
  const requester = sandboxUsersOf(regionWide.requesters)[0];
  if (!requester)
    throw new IncidentStuckError(
      region,
      `no sandbox user can request it: regionWide.requesters names ${regionWide.requesters.join(', ')}`,
    );
  const approvers = sandboxUsersOf(regionWide.approvers)
    .filter((id) => id !== requester)
    .slice(0, regionWide.approvals);
  if (approvers.length < regionWide.approvals)
    throw new IncidentStuckError(
      region,
      `it needs ${regionWide.approvals} approvers other than the requester, and regionWide.approvers (${regionWide.approvers.join(', ')}) names ${approvers.length} sandbox users`,
    );
  return { requester, approvers };
}

/**
 * A region-wide failover as people run it: the requester types `/dr failover region` in the
 * operations channel, the approvers read the request card and approve one after the other,
 * the incident recovers every plan of the region (each with its card and thread in its own
 * channel), and each child run's questions are answered as in a drill.
 */
export async function playIncident(
  session: SandboxSession,
  region: Region,
  regionWide: RegionWideSettings,
  plans: readonly Plan[],
): Promise<IncidentScenarioResult> {
  const cast = incidentCastOf(region, regionWide);
  const { sandbox } = session;
  const { incidents } = sandbox.bot.deps;
  await session.type(
    cast.requester,
    regionWide.channel,
    `failover region ${region} ${region} is down`,
  );
  const incidentId = await incidents.openIncident(region);
  if (!incidentId)
    throw new IncidentStuckError(region, `/dr failover region ${region} started no incident`);

  // The card's buttons carry the gate id `<incidentId>/approval#1`. The approvers read the card
  // together, then click one after the other, each on the card as the last click left it.
  const approveOf = (b: { actionId: string; value: string }) =>
    b.actionId === GATE_APPROVE_ACTION && b.value.startsWith(`${incidentId}/`);
  if (!(await session.waitForButton(approveOf, 120_000)))
    throw new IncidentStuckError(region, 'its request card showed no Approve button in 2 minutes');
  await sleep(readingPause(session.speed));
  for (const approver of cast.approvers) {
    const approve = session.findButton(approveOf);
    if (!approve)
      throw new IncidentStuckError(
        region,
        `its request card lost its Approve button before ${SANDBOX_USERS[approver]?.name ?? approver} could press it`,
      );
    await session.press(approver, approve);
  }

  const byId = new Map(plans.map((p) => [p.customer.id, p]));
  const answered = new Set<string>();
  for (;;) {
    const incident = await incidents.getIncident(incidentId);
    if (incidentEnded(incident.status)) break;
    for (const child of incident.plans) {
      const plan = byId.get(child.customerId);
      if (plan && child.executionId && child.state === 'running')
        await answerAsks(session, plan, child.executionId, answered);
    }
    await sleep(250);
  }
  await sandbox.orchestrator.settled(incidentId);
  const incident = await incidents.getIncident(incidentId);
  const children = incident.plans.flatMap((p) => (p.executionId ? [p.executionId] : []));
  // The incident's final message, and each run's report in its own channel.
  await Promise.all([incidentId, ...children].map((id) => sandbox.bot.shown(id)));
  session.refresh();
  const results: IncidentPlanResult[] = [];
  for (const p of incident.plans) {
    results.push({
      customerId: p.customerId,
      name: p.name,
      state: p.state,
      ...(p.executionId
        ? { executionId: p.executionId, report: await sandbox.runs.report(p.executionId) }
        : {}),
    });
  }
  const finished = (await sandbox.runs.journal(incidentId)).find(
    (e) => e.type === 'incident-finished',
  );
  const files =
    finished?.type === 'incident-finished' ? Object.values(finished.data.reportFiles) : [];
  return { incident, plans: results, files };
}

/** The closing lines: the incident's outcome, each plan's RTO and RPO, and the report files. */
export function describeIncidentResult(
  result: IncidentScenarioResult,
  where: { seconds: number; cwd: string },
): string[] {
  const { incident } = result;
  const shown = (file: string) => {
    const rel = relative(where.cwd, file);
    return rel.startsWith('..') ? file : rel;
  };
  const nameOf = (id: string) => SANDBOX_USERS[id]?.name ?? id;
  const approvers = incident.approvedBy.map(nameOf).join(' and ') || 'nobody';
  const width = Math.max(...result.plans.map((p) => p.customerId.length));
  const lines = [
    `Region-wide failover of ${incident.region}: incident ${incident.incidentId} ${incident.status} in ${where.seconds.toFixed(0)} s of real time (requested by ${nameOf(incident.requestedBy)}, approved by ${approvers}).`,
    ...result.plans.map(({ customerId, state, report }) => {
      const figures = report ? describeTargets(report) : 'no run';
      const outcome = report ? `, failover ${describeOutcome(report.outcome)}` : '';
      return `  ${customerId.padEnd(width)}  ${state}${outcome}: ${figures}`;
    }),
  ];
  const [first] = result.files;
  if (!first) return [...lines, 'No incident report was written.'];
  return [
    ...lines,
    `Incident report files, in ${shown(dirname(first))}:`,
    ...result.files.map((f) => `  ${shown(f)}`),
  ];
}

/**
 * `lifeboat sandbox --incident <region>`: the region down in the local AWS (with any other
 * faults given), and its region-wide failover played in the fake Slack. Exits 0 when the incident
 * succeeded.
 */
export async function playIncidentSandbox(
  options: SessionOptions,
  region: Region,
  io: Io,
): Promise<number> {
  const { terminal } = options;
  const { regionWide } = await readSettingsFile(DEFAULTS_FILE);
  if (!regionWide)
    throw new UsageError(
      `${DEFAULTS_FILE} has no regionWide section: add its channel, requesters and approvers.`,
    );
  const plans = options.plans.filter((p) => p.regions.primary === region);
  if (plans.length === 0)
    throw new UsageError(
      `No plan in ${options.plansDir} has the primary ${region}; the primaries are: ${[...new Set(options.plans.map((p) => p.regions.primary))].join(', ')}.`,
    );
  const down = `region-down:${region}`;
  const started = Date.now();
  terminal.write(
    `Lifeboat sandbox: ${region} is down, and every plan whose primary it is (${plans.map((p) => p.customer.id).join(', ')}) fails over as one incident, requested in #${regionWide.channel}, on this machine: the local AWS (time ${options.speed ? `${options.speed}x` : 'stepped'}), the orchestrator, the bot and a fake Slack.\nStarting…\n\n`,
  );
  const session = await SandboxSession.open({
    ...options,
    plans,
    faults: [down, ...options.faults.filter((f) => f !== down)],
    operationsChannel: regionWide.channel,
  });
  return session.playToEnd(
    () => playIncident(session, region, regionWide, plans),
    (result) => ({
      lines: describeIncidentResult(result, {
        seconds: (Date.now() - started) / 1000,
        cwd: terminal.cwd,
      }),
      ok: result.incident.status === 'succeeded',
    }),
    (line) => io.err(line),
  );
}
