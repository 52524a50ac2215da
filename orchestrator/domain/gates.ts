import { GateOpeningError } from './errors.ts';
import {
  answerGate,
  type Execution,
  type Gate,
  type GateDecision,
  type GateKind,
  type StepRecord,
} from './execution.ts';
import type { JournalDraft } from './journal.ts';
import type { Plan } from './plan.ts';
import type { Step } from './runbook.ts';
import { DECISION_GATE_EXPIRY_SECONDS } from './settings.ts';

/**
 * The rules of gates, pure: how a gate opens (who answers, until when), what an answer, an
 * abort or an expiry does to it, and what a decision does to the run. Each function returns
 * the changes to make; the engine applies them to the store, in the order given.
 */

/** What opens a gate: the gate step itself, a decision after a failure, or a pause. */
export type GateOpening = 'step' | 'decision' | 'pause';

/** The execution fields a decision may change. */
export type ExecutionPatch = Partial<
  Pick<Execution, 'status' | 'endedAt' | 'excluded' | 'pauseRequested' | 'abortRequested'>
>;

/** What to write, in this order: the gate, the execution, the step record, then the journal. */
export interface RunChanges {
  gate?: Gate;
  execution?: ExecutionPatch;
  step?: StepRecord;
  journal: JournalDraft[];
}

/**
 * A gate's opaque id, the only thing a Slack button carries: `<run>/<step>#<attempt>` for a
 * gate step, `<run>/<step>#decision#<attempt>`, `<run>/<step>#pause#<time>`. Unique across runs.
 */
export function gateIdOf(executionId: string, stepId: string, ...suffix: (string | number)[]) {
  return `${executionId}/${stepId}#${suffix.join('#')}`;
}

/** The run a gate id names, or undefined when it names none. */
export function runOfGateId(gateId: string): string | undefined {
  const slash = gateId.indexOf('/');
  return slash > 0 && gateId.indexOf('#', slash) > slash ? gateId.slice(0, slash) : undefined;
}

export interface OpenGateInput {
  opening: GateOpening;
  execution: Pick<Execution, 'executionId' | 'requestedBy'>;
  step: Step;
  record?: StepRecord;
  access: Pick<Plan['access'], 'requesters' | 'approvers'>;
  taskToken: string;
  now: number;
}

/** The gate to store and what to journal; a gate step journals its start the first time. */
export function openGate(input: OpenGateInput): { gate: Gate; journal: JournalDraft[] } {
  const { opening, execution, step, record, now } = input;
  const base = {
    executionId: execution.executionId,
    stepId: step.id,
    requestedBy: execution.requestedBy,
    taskToken: input.taskToken,
    openedAt: now,
    answers: [],
    status: 'open' as const,
  };
  // Decisions and pauses are for the people who run operations: requesters and approvers.
  const operators = {
    principals: [...input.access.requesters, ...input.access.approvers],
    required: 1,
    excludeRequester: false,
    expiresAt: now + DECISION_GATE_EXPIRY_SECONDS * 1000,
  };
  const attempt = record?.attempt ?? 1;
  const journal: JournalDraft[] = [];
  let gate: Gate;
  if (opening === 'step' && step.kind === 'gate') {
    gate = {
      ...base,
      gateId: gateIdOf(execution.executionId, step.id, attempt),
      kind: step.gate,
      prompt: step.prompt,
      principals: step.principals,
      required: step.required,
      excludeRequester: step.excludeRequester,
      expiresAt: now + step.timeoutSeconds * 1000,
    };
    if (!record) journal.push(stepStarted(step));
  } else if (opening === 'decision') {
    const failedServers = record?.failedServers ?? [];
    gate = {
      ...base,
      ...operators,
      gateId: gateIdOf(execution.executionId, step.id, 'decision', attempt),
      kind: 'decision',
      prompt: `${step.title} failed: ${record?.message ?? 'unknown error'}. Retry the failed, continue without them, or abort?`,
      ...(failedServers.length ? { failedServers } : {}),
    };
  } else if (opening === 'pause') {
    gate = {
      ...base,
      ...operators,
      gateId: gateIdOf(execution.executionId, step.id, 'pause', now),
      kind: 'pause',
      prompt: `The run is paused before "${step.title}". Resume or abort?`,
    };
  } else {
    throw new GateOpeningError(step.id, step.kind);
  }
  journal.push({
    type: 'gate-opened',
    stepId: step.id,
    message: gate.prompt,
    data: {
      gateId: gate.gateId,
      kind: gate.kind,
      principals: gate.principals,
      required: gate.required,
      ...(gate.failedServers ? { failedServers: gate.failedServers } : {}),
    },
  });
  return { gate, journal };
}

export interface GateAnswer {
  user: string;
  /** The user's Slack name, journaled beside the id. */
  userName?: string;
  groups: readonly string[];
  decision: GateDecision;
  note?: string;
  at: number;
}

/**
 * One person's answer under the gate's rules (see `answerGate`): the gate as it stands after
 * it, whether it is decided, and what to journal.
 */
export function recordAnswer(
  gate: Gate,
  answer: GateAnswer,
): { gate: Gate; decided?: GateDecision; journal: JournalDraft[] } {
  const { userName, ...rest } = answer;
  const result = answerGate(gate, rest);
  const names = userName ? { names: { [answer.user]: userName } } : {};
  const journal: JournalDraft[] = [
    {
      type: 'gate-answered',
      stepId: gate.stepId,
      message: `<@${answer.user}> answered ${answer.decision}`,
      data: {
        gateId: gate.gateId,
        kind: gate.kind,
        user: answer.user,
        ...(userName ? { userName } : {}),
        decision: answer.decision,
        ...(answer.note ? { note: answer.note } : {}),
      },
    },
  ];
  if (result.decided)
    journal.push({
      type: 'gate-closed',
      stepId: gate.stepId,
      message: `${gate.kind} ${result.decided}`,
      data: {
        gateId: gate.gateId,
        kind: gate.kind,
        decision: result.decided,
        users: result.gate.answers.map((a) => a.user),
        ...names,
      },
    });
  return { ...result, journal };
}

/** A gate closed by one more answer, whatever the others said (an abort, a step cancelled). */
export function closedBy(gate: Gate, by: string, at: number, decision: GateDecision): Gate {
  return { ...gate, status: 'closed', answers: [...gate.answers, { user: by, decision, at }] };
}

/** An open gate closed because someone aborted what it belongs to (the run, or an incident). */
export function closeForAbort(
  gate: Gate,
  by: string,
  at: number,
  byName?: string,
  aborting = 'the run',
): { gate: Gate; journal: JournalDraft[] } {
  return {
    gate: closedBy(gate, by, at, 'abort'),
    journal: [
      {
        type: 'gate-closed',
        stepId: gate.stepId,
        message: `${gate.kind} closed: ${aborting} is aborting`,
        data: {
          gateId: gate.gateId,
          kind: gate.kind,
          decision: 'abort',
          users: [by],
          ...(byName ? { names: { [by]: byName } } : {}),
        },
      },
    ],
  };
}

/** Whether nobody answered a gate in time. */
export function isDue(gate: Gate, now: number): boolean {
  return gate.status === 'open' && gate.expiresAt <= now;
}

/** A gate nobody answered in time, marked expired. */
export function expire(gate: Gate): { gate: Gate; journal: JournalDraft[] } {
  return {
    gate: { ...gate, status: 'expired' },
    journal: [
      {
        type: 'gate-expired',
        stepId: gate.stepId,
        message: `The ${gate.kind} expired unanswered`,
        data: { gateId: gate.gateId, kind: gate.kind },
      },
    ],
  };
}

export interface DecisionInput {
  execution: Pick<Execution, 'excluded'>;
  step: Step;
  record?: StepRecord;
  kind: GateKind;
  decision: GateDecision | 'expired';
  /**
   * The step's gate still open when the state machine gave up waiting (its own timeout); a
   * gate the sweeper expired is no longer open and is journaled already.
   */
  openGate?: Gate;
  now: number;
}

/**
 * What a decided gate does to the run, when the state machine resumes: approve or done ends
 * the gate step; reject, abort or expiry aborts the run at the next step; resume lifts a pause;
 * retry starts the failed step again keeping its progress; continue does too, without its
 * failed servers (or skips the step when it failed as a whole).
 */
export function applyDecision(input: DecisionInput): RunChanges {
  const { step, record, kind, decision, now } = input;
  const finish = (status: 'done' | 'skipped', message: string): RunChanges['step'] => ({
    stepId: step.id,
    status,
    startedAt: record?.startedAt ?? now,
    endedAt: now,
    attempt: record?.attempt ?? 1,
    progress: record?.progress ?? {},
    message,
  });
  const finished = (status: 'done' | 'skipped'): JournalDraft => ({
    type: 'step-finished',
    stepId: step.id,
    message: `${step.title}: ${status}`,
    data: { status, kind: step.kind },
  });
  const abort: RunChanges = { execution: { abortRequested: true }, journal: [] };

  if (decision === 'expired') {
    if (!input.openGate) return abort;
    const expired = expire(input.openGate);
    return { ...abort, gate: expired.gate, journal: expired.journal };
  }
  if (kind === 'pause')
    return decision === 'resume'
      ? { execution: { pauseRequested: false, status: 'running' }, journal: [] }
      : abort;
  if (decision === 'approve' || decision === 'done')
    return { step: finish('done', `${kind}: ${decision}`), journal: [finished('done')] };
  if (decision === 'reject' || decision === 'abort') return abort;

  const failedServers = record?.failedServers ?? [];
  const restart: RunChanges['step'] = {
    stepId: step.id,
    status: 'failed',
    startedAt: record?.startedAt ?? now,
    attempt: (record?.attempt ?? 1) + 1,
    progress: record?.progress ?? {},
    message: `restarting after ${decision}`,
  };
  if (decision !== 'continue') return { step: restart, journal: [] };
  const excluded: JournalDraft = {
    type: 'servers-excluded',
    stepId: step.id,
    message: `Continuing without ${failedServers.join(', ') || 'the failed step'}`,
    data: { servers: failedServers },
  };
  const execution = { excluded: [...new Set([...input.execution.excluded, ...failedServers])] };
  return failedServers.length
    ? { execution, step: restart, journal: [excluded] }
    : {
        execution,
        // The failure stays in the step's message: the report says what was continued past.
        step: finish(
          'skipped',
          record?.message
            ? `continued without this step, which failed: ${record.message}`
            : 'continued without this step',
        ),
        journal: [excluded, finished('skipped')],
      };
}

/** A step's start, as the journal records it. */
export function stepStarted(step: Step): JournalDraft {
  return {
    type: 'step-started',
    stepId: step.id,
    message: step.title,
    data: { kind: step.kind, title: step.title, phase: step.phase },
  };
}
