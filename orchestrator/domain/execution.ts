import * as z from 'zod';
import { GateAnswerError } from './errors.ts';
import { OperationSchema } from './plan.ts';
import { type Runbook, RunbookSchema, type Step } from './runbook.ts';

/**
 * One run of a runbook: its record, the progress of each step, its journal and its gates.
 * Stored records carry a schema version.
 */
export const EXECUTION_SCHEMA_VERSION = 1;

export const ExecutionStatusSchema = z.enum([
  'running',
  'paused',
  'succeeded',
  'failed',
  'aborted',
]);
export type ExecutionStatus = z.infer<typeof ExecutionStatusSchema>;

/** A run in one of these has ended: nothing more happens to it, its buttons do nothing. */
export function hasEnded(status: ExecutionStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'aborted';
}

export const ExecutionSchema = z.object({
  schemaVersion: z.literal(EXECUTION_SCHEMA_VERSION),
  executionId: z.string(),
  customerId: z.string(),
  operation: OperationSchema,
  planRevision: z.string(),
  requestedBy: z.string(),
  /** The Slack channel the run was requested in: its messages go there. */
  channel: z.string().optional(),
  reason: z.string().optional(),
  /** When the disruption began, for a real incident declared after the fact (ms). */
  disruptionAt: z.number().optional(),
  status: ExecutionStatusSchema,
  startedAt: z.number(),
  endedAt: z.number().optional(),
  /** Servers the operators chose to continue without. */
  excluded: z.array(z.string()),
  /** The region-wide incident this run belongs to (started by it, or converted into its failover). */
  incidentId: z.string().optional(),
  /** A drill the incident turned into a failover: its sign-off and failback were cancelled. */
  convertedToFailover: z.strictObject({ incidentId: z.string(), at: z.number() }).optional(),
  pauseRequested: z.boolean(),
  abortRequested: z.boolean(),
  runbook: RunbookSchema,
});
export type Execution = z.infer<typeof ExecutionSchema>;

export const StepStatusSchema = z.enum(['running', 'done', 'failed', 'skipped']);

export const StepRecordSchema = z.object({
  stepId: z.string(),
  status: StepStatusSchema,
  startedAt: z.number(),
  endedAt: z.number().optional(),
  attempt: z.number().int(),
  /** What the executor keeps between polls (job ids, launched servers…). */
  progress: z.record(z.string(), z.unknown()),
  message: z.string().optional(),
  failedServers: z.array(z.string()).optional(),
});
export type StepRecord = z.infer<typeof StepRecordSchema>;

export const GateKindSchema = z.enum(['approval', 'sign-off', 'manual', 'decision', 'pause']);
export type GateKind = z.infer<typeof GateKindSchema>;

export const GateDecisionSchema = z.enum([
  'approve',
  'reject',
  'retry',
  'continue',
  'abort',
  'resume',
  'done',
]);
export type GateDecision = z.infer<typeof GateDecisionSchema>;

export const GateSchema = z.object({
  gateId: z.string(),
  executionId: z.string(),
  stepId: z.string(),
  kind: GateKindSchema,
  prompt: z.string(),
  principals: z.array(z.string()),
  required: z.number().int(),
  excludeRequester: z.boolean(),
  requestedBy: z.string(),
  /** Task token: server-side only, never sent to Slack. */
  taskToken: z.string(),
  openedAt: z.number(),
  expiresAt: z.number(),
  answers: z.array(
    z.object({
      user: z.string(),
      decision: GateDecisionSchema,
      at: z.number(),
      note: z.string().optional(),
    }),
  ),
  status: z.enum(['open', 'closed', 'expired']),
  /** For decision gates: the servers that failed. */
  failedServers: z.array(z.string()).optional(),
});
export type Gate = z.infer<typeof GateSchema>;

/** The decisions each kind of gate accepts. */
export const GATE_DECISIONS: Record<GateKind, readonly GateDecision[]> = {
  approval: ['approve', 'reject'],
  'sign-off': ['approve', 'reject'],
  manual: ['done', 'abort'],
  decision: ['retry', 'continue', 'abort'],
  pause: ['resume', 'abort'],
};

/**
 * Records one person's answer to a gate, under the two-person rule: the requester's own
 * approval never counts, nobody answers twice, only the gate's principals answer (a user id,
 * or a user group the caller says the user is in). Returns the gate and whether it is decided.
 */
export function answerGate(
  gate: Gate,
  answer: {
    user: string;
    groups: readonly string[];
    decision: GateDecision;
    at: number;
    note?: string;
  },
): { gate: Gate; decided?: GateDecision } {
  if (gate.status !== 'open')
    throw new GateAnswerError(
      `This ${gate.kind} was already ${gate.status === 'expired' ? 'expired' : 'decided'}; nothing changed.`,
    );
  if (answer.at > gate.expiresAt)
    throw new GateAnswerError(
      `This ${gate.kind} expired at ${new Date(gate.expiresAt).toISOString()}; request the operation again.`,
    );
  if (!GATE_DECISIONS[gate.kind].includes(answer.decision)) {
    throw new GateAnswerError(
      `"${answer.decision}" is not an answer to a ${gate.kind}; use ${GATE_DECISIONS[gate.kind].join(' or ')}.`,
    );
  }
  const allowed =
    gate.principals.includes(answer.user) || answer.groups.some((g) => gate.principals.includes(g));
  if (!allowed)
    throw new GateAnswerError(
      `<@${answer.user}> may not answer this ${gate.kind}; ask one of ${gate.principals.join(', ')}.`,
    );
  const approving = answer.decision === 'approve';
  if (gate.excludeRequester && approving && answer.user === gate.requestedBy) {
    throw new GateAnswerError(
      'You requested this operation, so you cannot approve it: a second person must.',
    );
  }
  if (gate.answers.some((a) => a.user === answer.user))
    throw new GateAnswerError(`<@${answer.user}> already answered this ${gate.kind}.`);
  const answers = [
    ...gate.answers,
    {
      user: answer.user,
      decision: answer.decision,
      at: answer.at,
      ...(answer.note ? { note: answer.note } : {}),
    },
  ];
  const approvals = answers.filter((a) => a.decision === 'approve').length;
  const decided = approving
    ? approvals >= gate.required
      ? 'approve'
      : undefined
    : answer.decision;
  return {
    gate: { ...gate, answers, status: decided ? 'closed' : 'open' },
    ...(decided ? { decided } : {}),
  };
}

/** The next step to run: the first that is neither done nor skipped. */
export function nextStep(
  runbook: Runbook,
  records: ReadonlyMap<string, StepRecord>,
): { index: number; step: Step } | undefined {
  const index = runbook.steps.findIndex((s) => {
    const status = records.get(s.id)?.status;
    return status !== 'done' && status !== 'skipped';
  });
  const step = runbook.steps[index];
  return step ? { index, step } : undefined;
}

/** A run as the customer's history lists it; the figures once it has ended. */
export const RunIndexEntrySchema = z.object({
  executionId: z.string(),
  customerId: z.string(),
  operation: OperationSchema,
  requestedBy: z.string(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  outcome: z.string().optional(),
  rto: z
    .object({ seconds: z.number().nullable(), target: z.number(), met: z.boolean() })
    .optional(),
  rpo: z
    .object({ seconds: z.number().nullable(), target: z.number(), met: z.boolean() })
    .optional(),
});
export type RunIndexEntry = z.infer<typeof RunIndexEntrySchema>;

/** Who tried what and was refused (or allowed, for what changes a run): the customer's audit log. */
export const AuditEntrySchema = z.object({
  at: z.number(),
  user: z.string(),
  action: z.string(),
  allowed: z.boolean(),
  channel: z.string().optional(),
  executionId: z.string().optional(),
  detail: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
