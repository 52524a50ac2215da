import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gateAction, SIGN_OFF_OPEN_ACTION } from '../bot/blocks/prompts.ts';
import { GATE_APPROVE_ACTION } from '../bot/blocks/request-card.ts';
import { hasEnded } from '../orchestrator/domain/execution.ts';
import type { Plan } from '../orchestrator/domain/plan.ts';
import { describeOutcome, describeTargets, type Report } from '../orchestrator/domain/report.ts';
import { SANDBOX_USERS } from '../sandbox/slack-sandbox.ts';
import { NoSandboxUserError, ScenarioStuckError } from './errors.ts';
import type { SandboxSession } from './sandbox-session.ts';

/** Who plays which part: ids from the plan, or a sandbox user in a group the plan names. */
export interface Cast {
  requester: string;
  approver: string;
  signer: string;
}

export interface ScenarioResult {
  executionId: string;
  report: Report;
  /** The run's report files. */
  files: string[];
}

/** How long people take to read a card before they click (real time). */
export const READ_MS = 1_500;
/** The longest a person reads, in the simulated world's time: well inside an approval's hour. */
const READ_AT_MOST_MS = 25 * 60_000;

/**
 * How long a person reads before clicking, in real milliseconds, at `speed` simulated seconds
 * per real second (0: stepped): READ_MS, but no longer than 25 simulated minutes, so that at any
 * speed they answer inside the gates' windows.
 */
export function readingPause(speed: number): number {
  return speed > 0 ? Math.min(READ_MS, READ_AT_MOST_MS / speed) : READ_MS;
}

/** The sandbox users the principals name, in their order: a user group by its members. */
export function sandboxUsersOf(principals: readonly string[]): string[] {
  const ids = principals.flatMap((p) =>
    p.startsWith('S')
      ? Object.entries(SANDBOX_USERS)
          .filter(([, u]) => u.groups?.includes(p))
          .map(([id]) => id)
      : [p],
  );
  return [...new Set(ids)];
}

/** The people of a plan: its first requester, an approver who is someone else, its first signer. */
export function castOf(plan: Plan): Cast {
  const person = (part: string, principals: readonly string[], not?: string) => {
    const id = sandboxUsersOf(principals).find((candidate) => candidate !== not);
    if (id) return id;
    throw new NoSandboxUserError(plan.customer.id, part, principals, Object.keys(SANDBOX_USERS));
  };
  const requester = person('requester', plan.access.requesters);
  return {
    requester,
    approver: person('approver', plan.access.approvers, requester),
    // A shared-services plan has no sign-off gate, so nobody signs.
    signer: plan.kind === 'shared-services' ? requester : person('signer', plan.access.signOff),
  };
}

/**
 * The drill as people run it: the requester types `/dr drill <customer>`, the approver reads the
 * card and approves, the drill runs, the customer's contact signs off through the modal once
 * the environment is validated, the failback runs and the report arrives.
 */
export async function playScenario(session: SandboxSession, plan: Plan): Promise<ScenarioResult> {
  const cast = castOf(plan);
  const channel = plan.slack.channels[0] ?? '';
  const customer = plan.customer.id;
  const { sandbox } = session;
  const executionId = await session.type(cast.requester, channel, `drill ${customer}`);
  if (!executionId) throw new ScenarioStuckError(customer, `/dr drill ${customer} started no run`);
  const ofRun = (actionId: string) => (b: { actionId: string; value: string }) =>
    b.actionId === actionId && b.value.startsWith(`${executionId}/`);

  const approve = await session.waitForButton(ofRun(GATE_APPROVE_ACTION), 120_000);
  if (!approve)
    throw new ScenarioStuckError(
      customer,
      'its request card showed no Approve button in 2 minutes',
    );
  await sleep(readingPause(session.speed));
  await session.press(cast.approver, approve);

  // Then whatever the run asks of people, until it ends.
  const answered = new Set<string>();
  for (;;) {
    const execution = await sandbox.runs.getExecution(executionId);
    if (hasEnded(execution.status)) break;
    await answerAsks(session, plan, executionId, answered);
    await sleep(250);
  }
  await sandbox.orchestrator.settled(executionId);
  await sandbox.bot.shown(executionId);
  session.refresh();
  const report = await sandbox.runs.report(executionId);
  const files = (await readdir(sandbox.reportDir))
    .filter((f) => f.startsWith(executionId))
    .map((f) => join(sandbox.reportDir, f));
  return { executionId, report, files };
}

/**
 * Answers, once each, what the run asks of people now: the customer's sign-off, a manual step
 * the requester confirms, a failed wave the approver lets the run continue without.
 * `answered` holds the gates already answered.
 */
export async function answerAsks(
  session: SandboxSession,
  plan: Plan,
  executionId: string,
  answered: Set<string>,
): Promise<void> {
  const cast = castOf(plan);
  const asks: [string, string][] = [
    [SIGN_OFF_OPEN_ACTION, cast.signer],
    [gateAction('done'), cast.requester],
    [gateAction('resume'), cast.requester],
    [gateAction('continue'), cast.approver],
  ];
  for (const [actionId, who] of asks) {
    const gate = session.findButton(
      (b) =>
        b.actionId === actionId && b.value.startsWith(`${executionId}/`) && !answered.has(b.value),
    );
    if (!gate) continue;
    answered.add(gate.value);
    await sleep(readingPause(session.speed));
    if (actionId === SIGN_OFF_OPEN_ACTION) await signOffAs(session, who, gate, plan);
    else await session.press(who, gate);
  }
}

async function signOffAs(
  session: SandboxSession,
  signer: string,
  button: Parameters<SandboxSession['press']>[1],
  plan: Plan,
): Promise<void> {
  const viewId = await session.press(signer, button);
  if (!viewId) return;
  await sleep(readingPause(session.speed));
  await session.submit(
    signer,
    viewId,
    {
      contact: `Pat Doe, ${plan.customer.name} IT director`,
      notes: 'Claims portal, SFTP drop and the WebUI checked from the customer side.',
      decision: 'approve',
    },
    { channel: button.channel, ...(button.threadTs ? { threadTs: button.threadTs } : {}) },
  );
}

/** The closing lines: the outcome, RTO and RPO, and where the report files are. */
export function describeResult(
  result: ScenarioResult,
  where: { seconds: number; reportDir: string; cwd: string },
): string[] {
  const { report } = result;
  const shown = (file: string) => {
    const rel = relative(where.cwd, file);
    return rel.startsWith('..') ? file : rel;
  };
  return [
    `${report.customerName}: ${report.operation} ${describeOutcome(report.outcome)} in ${where.seconds.toFixed(0)} s of real time.`,
    `${describeTargets(report)}.`,
    `Report files, in ${shown(where.reportDir)}:`,
    ...result.files.map((f) => `  ${shown(f)}`),
  ];
}
