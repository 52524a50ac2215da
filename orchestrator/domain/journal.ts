import * as z from 'zod';
import { JournalEntryError } from './errors.ts';
import { GateDecisionSchema, GateKindSchema } from './execution.ts';
import { OperationSchema, SideSchema } from './plan.ts';
import { PhaseSchema, PreflightResultSchema, StepKindSchema } from './runbook.ts';

/**
 * The journal of a run: what happened, in order. The engine and the step executors write it;
 * the report, the notifier and the CLI read it. Each entry's `data` has one shape per `type`,
 * checked where it is written (a wrong shape is a bug, thrown at once) and where it is read.
 */

export const DirectionSchema = z.enum(['to-recovery', 'to-primary']);
export type Direction = z.infer<typeof DirectionSchema>;

/** How a hook ran: an SSM document, a Lambda function or a CloudFormation stack. */
export const HookRunKindSchema = z.enum(['ssm-document', 'lambda', 'stack']);
export type HookRunKind = z.infer<typeof HookRunKindSchema>;

const GateRef = { gateId: z.string(), kind: GateKindSchema };
const ServerInWave = { server: z.string(), wave: z.string(), direction: DirectionSchema };

/** Every entry's data, by type. Strict: a field nobody declared is a writer's mistake. */
export const JOURNAL_DATA = {
  'execution-started': z.strictObject({
    operation: OperationSchema,
    requestedBy: z.string(),
    /** The requester's Slack name when they asked, kept as evidence beside the id. */
    requestedByName: z.string().optional(),
  }),
  'execution-finished': z.strictObject({
    outcome: z.enum(['succeeded', 'failed', 'aborted']),
    reason: z.string().optional(),
    /** Where the run's report went (kind -> location), for the notifier's final message. */
    reportFiles: z.record(z.string(), z.string()),
  }),
  'step-started': z.strictObject({ kind: StepKindSchema, title: z.string(), phase: PhaseSchema }),
  'step-finished': z.strictObject({
    kind: StepKindSchema,
    status: z.enum(['done', 'failed', 'skipped']),
  }),
  preflight: z.strictObject({ results: z.array(PreflightResultSchema) }),
  'best-effort-failed': z.strictObject({ reason: z.string() }),
  'pause-requested': z.strictObject({ by: z.string(), byName: z.string().optional() }),
  'abort-requested': z.strictObject({ by: z.string(), byName: z.string().optional() }),
  'gate-opened': z.strictObject({
    ...GateRef,
    principals: z.array(z.string()),
    required: z.number().int(),
    failedServers: z.array(z.string()).optional(),
  }),
  'gate-answered': z.strictObject({
    ...GateRef,
    user: z.string(),
    /** The user's Slack name when they answered. */
    userName: z.string().optional(),
    decision: GateDecisionSchema,
    note: z.string().optional(),
  }),
  'gate-closed': z.strictObject({
    ...GateRef,
    decision: GateDecisionSchema,
    users: z.array(z.string()),
    /** The Slack names known when the gate closed (user id -> name). */
    names: z.record(z.string(), z.string()).optional(),
  }),
  'gate-expired': z.strictObject(GateRef),
  disruption: z.strictObject({
    at: z.number(),
    source: z.enum(['stop-instances', 'declared', 'region-down']),
    side: SideSchema.optional(),
  }),
  'instances-stopped': z.strictObject({
    instances: z.array(z.strictObject({ server: z.string(), instanceId: z.string() })),
    /** The region did not answer: nothing was stopped. */
    unreachable: z.boolean(),
  }),
  'drs-job-started': z.strictObject({
    jobId: z.string(),
    wave: z.string(),
    servers: z.array(z.string()),
  }),
  /** A DRS job waits for room in its recovery account's budget, shared with other runs. */
  'admission-waiting': z.strictObject({
    account: z.string(),
    region: z.string(),
    wave: z.string(),
    servers: z.array(z.string()),
    reason: z.enum(['jobs', 'servers', 'queued']),
    position: z.number().int().min(1),
    /** The customer it waits behind, when it is queued. */
    behind: z.string().optional(),
  }),
  /** A DRS job that waited got its lease: it starts now. */
  'admission-granted': z.strictObject({
    account: z.string(),
    region: z.string(),
    wave: z.string(),
    servers: z.array(z.string()),
    token: z.number().int(),
    waitedSeconds: z.number(),
  }),
  'server-launched': z.strictObject({
    ...ServerInWave,
    sourceServerId: z.string().optional(),
    recoveryInstanceId: z.string(),
    launchedAt: z.number(),
    /** Missing when DRS gave no snapshot time: the server's RPO is then unmeasured. */
    dataAt: z.number().optional(),
    snapshotId: z.string().optional(),
    usedPreviousSnapshot: z.boolean().optional(),
    isDrill: z.boolean().optional(),
    /** The EC2 instance type it launched on, when EC2 said. */
    instanceType: z.string().optional(),
  }),
  /** EC2 had no capacity of the server's type: its recovery instance takes the plan's next alternative. */
  'instance-type-changed': z.strictObject({
    ...ServerInWave,
    instanceId: z.string(),
    from: z.string(),
    to: z.string(),
    /** The launch failure that made the change, as DRS reported it. */
    reason: z.string(),
  }),
  'server-healthy': z.strictObject({ ...ServerInWave, healthyAt: z.number() }),
  'server-failed': z.strictObject({
    ...ServerInWave,
    reason: z.string(),
    critical: z.boolean(),
  }),
  'servers-excluded': z.strictObject({
    servers: z.array(z.string()),
    by: z.string().optional(),
    byName: z.string().optional(),
  }),
  'dns-changed': z.strictObject({
    target: SideSchema,
    records: z.number().int(),
    insyncAt: z.number(),
    /** When ARC took the routing change: failover records answer the target side from then. */
    answeredAt: z.number().optional(),
    /** The region of the cluster endpoint that took it. */
    endpoint: z.string().optional(),
  }),
  'hook-finished': z.strictObject({
    hook: z.string(),
    kind: HookRunKindSchema,
    ok: z.boolean(),
    detail: z.string(),
  }),
  'validation-finished': z.strictObject({
    hook: z.string(),
    ok: z.boolean(),
    side: SideSchema,
    endedAt: z.number(),
  }),
  'replication-reversed': z.strictObject({
    direction: z.string(),
    servers: z.number().int(),
  }),
  /** A region-wide incident was requested: the plans whose primary is `region`. */
  'incident-requested': z.strictObject({
    region: z.string(),
    plans: z.array(z.string()),
    requestedBy: z.string(),
    requestedByName: z.string().optional(),
  }),
  /** One plan of an incident changed state, or its child run reached a milestone. */
  'incident-plan': z.strictObject({
    customerId: z.string(),
    state: z.enum(['waiting', 'running', 'succeeded', 'failed', 'aborted', 'held']),
    executionId: z.string().optional(),
    wavesDone: z.number().int().optional(),
    note: z.string().optional(),
  }),
  'incident-finished': z.strictObject({
    status: z.enum(['succeeded', 'failed', 'aborted', 'rejected', 'expired']),
    reportFiles: z.record(z.string(), z.string()),
  }),
  /** A run of the customer joined a region-wide incident: a drill is converted into a failover. */
  'joined-incident': z.strictObject({
    incidentId: z.string(),
    /** What the incident did with this run. */
    as: z.enum(['child', 'converted-to-failover']),
    /** The approvers of the incident, when it started this run (its own approval is theirs). */
    approvedBy: z.array(z.string()).optional(),
    /** Steps the conversion cancelled (the drill's sign-off and failback). */
    cancelledSteps: z.array(z.string()).optional(),
  }),
} as const;

export type JournalType = keyof typeof JOURNAL_DATA;
export type JournalData<T extends JournalType> = z.infer<(typeof JOURNAL_DATA)[T]>;

const entryOf = <T extends JournalType>(type: T) =>
  z.object({
    at: z.number(),
    seq: z.number().int(),
    type: z.literal(type),
    stepId: z.string().optional(),
    message: z.string(),
    data: JOURNAL_DATA[type] as (typeof JOURNAL_DATA)[T],
  });

type EntrySchema = { [T in JournalType]: ReturnType<typeof entryOf<T>> }[JournalType];
const ENTRY_SCHEMAS = (Object.keys(JOURNAL_DATA) as JournalType[]).map(entryOf) as [
  EntrySchema,
  ...EntrySchema[],
];

export const JournalEntrySchema = z.discriminatedUnion('type', ENTRY_SCHEMAS);

/** One entry of a type, with its data typed. */
export type JournalEntryOf<T extends JournalType> = Extract<JournalEntry, { type: T }>;
export type JournalEntry = z.infer<typeof JournalEntrySchema>;

/** An entry as its writer gives it: the store adds `seq`, the engine `at`. */
export type JournalDraft = {
  [T in JournalType]: Omit<JournalEntryOf<T>, 'seq' | 'at'>;
}[JournalType];

/** Checks an entry before it is written: a wrong shape throws where it is written. */
export function checkJournalEntry<E extends Omit<JournalEntry, 'seq'>>(entry: E): E {
  const parsed = JournalEntrySchema.safeParse({ ...entry, seq: 0 });
  if (!parsed.success) throw new JournalEntryError(entry.type, z.prettifyError(parsed.error));
  return entry;
}

/** The entries of one type, in journal order, typed. */
export function entriesOf<T extends JournalType>(
  journal: readonly JournalEntry[],
  type: T,
): JournalEntryOf<T>[] {
  return journal.filter((e): e is JournalEntryOf<T> => e.type === type);
}
