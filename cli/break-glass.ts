import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SfnExecutionStarter } from '../orchestrator/adapters/sfn-executions.ts';
import type { Gate } from '../orchestrator/domain/execution.ts';
import { type Operation, OperationSchema } from '../orchestrator/domain/plan.ts';
import { HandlerEnvSchema } from '../orchestrator/handlers/env.ts';
import { wireOrchestrator } from '../orchestrator/handlers/wiring.ts';
import type { RunControl } from '../orchestrator/ports/run-control.ts';
import { UsageError } from './errors.ts';
import { CUSTOMERS_DIR, DEFAULTS_FILE, type Io } from './io.ts';

/** A person who approves: a Slack user id, and the plan's user groups they are in. */
export interface Approver {
  user: string;
  groups: string[];
}

export interface BreakGlassRequest {
  operation: Operation;
  customerId: string;
  /** Who asks for the run: a Slack user id, as the evidence names people. */
  requestedBy: string;
  /** Two people at least, none of them the requester, answering the approval gate in turn. */
  approvers: Approver[];
  /** Why Slack was not used: kept in the run's evidence. */
  reason: string;
  /** The AWS identity that ran the command (its ARN), beside the reason. */
  caller?: string;
}

export interface BreakGlassOptions {
  /** How long to wait for pre-flight to open the approval gate. @default 5 minutes */
  waitMs?: number;
  /** @default 2 s */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What the command did: the run, and who approved it. */
export interface BreakGlassResult {
  executionId: string;
  region: string;
  approvedBy: string[];
}

/** `U02BOB` or `U03CAROL:S0HRPDRLEADS,S0OPS`: a user and the plan's groups they are in. */
export function parseApprover(text: string): Approver {
  const [user = '', groups = ''] = text.split(':');
  if (!/^[UW][A-Z0-9]{2,}$/.test(user) || !/^(S[A-Z0-9]{2,}(,S[A-Z0-9]{2,})*)?$/.test(groups))
    throw new UsageError(
      `--approve-as "${text}" is not a Slack user id with the plan's user groups they are in, like U02BOB or U03CAROL:S0HRPDRLEADS.`,
    );
  return { user, groups: groups ? groups.split(',') : [] };
}

/**
 * Break-glass: starts an operation without Slack, through the same run control the bot uses
 * (the lock, pre-flight, the plan's approval rules), then answers its approval gate as the named
 * approvers, in turn, until it is decided. Two different approvers at least, neither of them the
 * requester: the gate itself still refuses anyone the plan does not name.
 */
export async function breakGlass(
  runs: Pick<RunControl, 'loadPlan' | 'start' | 'openGates' | 'answer'>,
  request: BreakGlassRequest,
  options: BreakGlassOptions = {},
): Promise<BreakGlassResult> {
  const people = new Set(request.approvers.map((a) => a.user));
  if (people.size < 2)
    throw new UsageError(
      `break-glass needs two different approvers (--approve-as twice); got ${[...people].join(', ') || 'none'}.`,
    );
  if (people.has(request.requestedBy))
    throw new UsageError(
      `${request.requestedBy} requests the run and cannot approve it too; name two other approvers.`,
    );
  if (request.reason.trim().length < 10)
    throw new UsageError(
      'break-glass needs --reason: say why Slack was not used (10 characters or more).',
    );

  // The plan's first channel: when Slack is back, the run's messages are where people look.
  const { plan } = await runs.loadPlan(request.customerId);
  const { executionId, region } = await runs.start({
    customerId: request.customerId,
    operation: request.operation,
    requestedBy: request.requestedBy,
    channel: plan.slack.channels[0] ?? '',
    reason: `[break-glass${request.caller ? ` by ${request.caller}` : ''}] ${request.reason}`,
  });
  const gate = await approvalGate(runs, executionId, options);
  const approvedBy: string[] = [];
  for (const approver of request.approvers) {
    const answered = await runs.answer(executionId, gate.gateId, {
      user: approver.user,
      groups: approver.groups,
      decision: 'approve',
      note: 'break-glass',
    });
    approvedBy.push(approver.user);
    if (answered.decided) break;
  }
  return { executionId, region, approvedBy };
}

/** The run's approval gate, once pre-flight has opened it. */
async function approvalGate(
  runs: Pick<RunControl, 'openGates'>,
  executionId: string,
  options: BreakGlassOptions,
): Promise<Gate> {
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const pollMs = options.pollMs ?? 2_000;
  const tries = Math.ceil((options.waitMs ?? 300_000) / pollMs);
  for (let i = 0; i <= tries; i += 1) {
    const gate = (await runs.openGates(executionId)).find((g) => g.kind === 'approval');
    if (gate) return gate;
    if (i < tries) await sleep(pollMs);
  }
  throw new UsageError(
    `Run ${executionId} opened no approval gate in time (pre-flight may have stopped it): read its journal, then answer its gate with the same command's --approve-as, or abort it.`,
  );
}

export interface BreakGlassCliOptions {
  'approve-as'?: string[];
  'requested-by'?: string;
  reason?: string;
  json?: boolean;
}

/**
 * `lifeboat break-glass <operation> <customer>`: against the deployed Lifeboat, with the
 * caller's AWS credentials (a break-glass role), in the region whose state replica it uses
 * (`AWS_REGION`); `LIFEBOAT_STATE_MACHINE_ARN_PATTERN` names the runbook machines.
 */
export async function runBreakGlass(
  args: string[],
  options: BreakGlassCliOptions,
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [operationText, customerId, ...extra] = args;
  const operation = OperationSchema.safeParse(operationText);
  if (!operation.success || !customerId || extra.length > 0)
    throw new UsageError(
      'lifeboat break-glass takes an operation and a customer, like: lifeboat break-glass failover bcbsaz --requested-by U01ALICE --approve-as U02BOB --approve-as U03CAROL:S0DRLEADS --reason "Slack is down"',
    );
  if (!options['requested-by'])
    throw new UsageError('break-glass needs --requested-by <Slack user id>.');
  const pattern = env.LIFEBOAT_STATE_MACHINE_ARN_PATTERN;
  if (!pattern || !env.AWS_REGION)
    throw new UsageError(
      'break-glass runs against the deployed Lifeboat: set AWS_REGION and LIFEBOAT_STATE_MACHINE_ARN_PATTERN (arn:aws:states:{region}:<account>:stateMachine:lifeboat-runbook).',
    );
  const orchestrator = wireOrchestrator(
    HandlerEnvSchema.parse({
      AWS_REGION: env.AWS_REGION,
      STATE_TABLE: env.LIFEBOAT_STATE_TABLE ?? 'lifeboat-state',
      PLANS_DIR: CUSTOMERS_DIR,
      SETTINGS_FILE: DEFAULTS_FILE,
    }),
  );
  const runs = await orchestrator.runControl({
    executions: new SfnExecutionStarter(pattern),
  });
  const caller = await new STSClient({ region: env.AWS_REGION })
    .send(new GetCallerIdentityCommand({}))
    .then((identity) => identity.Arn);
  const result = await breakGlass(runs, {
    operation: operation.data,
    customerId,
    requestedBy: options['requested-by'],
    approvers: (options['approve-as'] ?? []).map(parseApprover),
    reason: options.reason ?? '',
    ...(caller ? { caller } : {}),
  });
  io.out(
    options.json
      ? JSON.stringify(result)
      : `Started ${operation.data} of ${customerId} in ${result.region}: run ${result.executionId}, approved by ${result.approvedBy.join(' and ')}. Follow it with the AWS console (Step Functions, lifeboat-runbook) or /dr status once Slack is back.`,
  );
  return 0;
}
