import { z } from 'zod';
import { formatDuration } from './duration.ts';
import {
  type Execution,
  GateDecisionSchema,
  GateKindSchema,
  type JournalEntry,
  type StepRecord,
} from './execution.ts';
import { OperationSchema, type Side, SideSchema } from './plan.ts';
import { RegionSchema } from './regions.ts';
import { PhaseSchema, type Runbook, type ServerRef, type Step, type StepOf } from './runbook.ts';

/**
 * The report of one run: RTO and RPO measured against the customer's targets, the timeline, the
 * people who approved, signed off and decided, and notes for the auditor. Built from the
 * execution, its step records and its journal; stored as JSON beside its Markdown and HTML.
 */
export const REPORT_SCHEMA_VERSION = 1;

export const DirectionSchema = z.enum(['to-recovery', 'to-primary']);
export type Direction = z.infer<typeof DirectionSchema>;

/**
 * What the report reads from each journal entry's `data`: the contract the orchestrator writes.
 * Fields the report does not use are left out so that an entry is never dropped for them.
 */
export const JOURNAL_DATA = {
  'step-finished': z.object({ status: z.enum(['done', 'failed', 'skipped']) }),
  'gate-opened': z.object({
    gateId: z.string(),
    kind: GateKindSchema,
    principals: z.array(z.string()),
    required: z.number(),
  }),
  'gate-answered': z.object({
    gateId: z.string(),
    kind: GateKindSchema,
    user: z.string(),
    decision: GateDecisionSchema,
    note: z.string().optional(),
  }),
  'gate-closed': z.object({
    gateId: z.string(),
    kind: GateKindSchema,
    decision: GateDecisionSchema,
    users: z.array(z.string()),
  }),
  disruption: z.object({
    at: z.number(),
    source: z.enum(['stop-instances', 'declared', 'region-down']),
  }),
  'instances-stopped': z.object({
    instances: z.array(z.object({ server: z.string(), instanceId: z.string() })),
    unreachable: z.boolean(),
  }),
  'server-launched': z.object({
    server: z.string(),
    direction: DirectionSchema,
    launchedAt: z.number(),
    /** Missing when DRS gave no snapshot time: the server's RPO is then unmeasured. */
    dataAt: z.number().optional(),
    snapshotId: z.string().optional(),
    usedPreviousSnapshot: z.boolean().optional(),
  }),
  'server-healthy': z.object({
    server: z.string(),
    direction: DirectionSchema,
    healthyAt: z.number(),
  }),
  'server-failed': z.object({ server: z.string(), direction: DirectionSchema, reason: z.string() }),
  'servers-excluded': z.object({ servers: z.array(z.string()), by: z.string().optional() }),
  'dns-changed': z.object({ target: SideSchema, records: z.number(), insyncAt: z.number() }),
  'hook-finished': z.object({ hook: z.string(), ok: z.boolean(), detail: z.string() }),
  'validation-finished': z.object({
    hook: z.string(),
    ok: z.boolean(),
    side: SideSchema,
    endedAt: z.number(),
  }),
  'execution-finished': z.object({
    outcome: z.enum(['succeeded', 'failed', 'aborted']),
    reason: z.string().optional(),
  }),
} as const;
type JournalType = keyof typeof JOURNAL_DATA;
type DataOf<T extends JournalType> = z.infer<(typeof JOURNAL_DATA)[T]>;

const IsoSchema = z.iso.datetime();
const SecondsSchema = z.number().min(0).nullable();
const TextSchema = z.string().nullable();

export const ReportOutcomeSchema = z.enum([
  'succeeded',
  'succeeded-with-exclusions',
  'failed',
  'aborted',
  'running',
  'paused',
]);
export type ReportOutcome = z.infer<typeof ReportOutcomeSchema>;

export const ServerStatusSchema = z.enum(['recovered', 'failed', 'excluded', 'not-recovered']);
export type ServerStatus = z.infer<typeof ServerStatusSchema>;

export const TimelineStatusSchema = z.enum(['pending', 'running', 'done', 'failed', 'skipped']);
export type TimelineStatus = z.infer<typeof TimelineStatusSchema>;

export const ReportServerSchema = z.object({
  name: z.string(),
  critical: z.boolean(),
  status: ServerStatusSchema,
  launchedAt: IsoSchema.nullable(),
  healthyAt: IsoSchema.nullable(),
  /** The moment of the data in the snapshot the server was launched from. */
  dataAt: IsoSchema.nullable(),
  rpoSeconds: SecondsSchema,
  rpoText: TextSchema,
  snapshotId: z.string().nullable(),
  usedPreviousSnapshot: z.boolean(),
  reason: z.string().nullable(),
});
export type ReportServer = z.infer<typeof ReportServerSchema>;

export const ReportWaveSchema = z.object({
  stepId: z.string(),
  name: z.string(),
  direction: DirectionSchema,
  status: TimelineStatusSchema,
  startedAt: IsoSchema.nullable(),
  endedAt: IsoSchema.nullable(),
  durationSeconds: SecondsSchema,
  durationText: TextSchema,
  servers: z.array(ReportServerSchema),
});
export type ReportWave = z.infer<typeof ReportWaveSchema>;

export const TimelineStepSchema = z.object({
  stepId: z.string(),
  title: z.string(),
  kind: z.string(),
  phase: PhaseSchema,
  status: TimelineStatusSchema,
  bestEffort: z.boolean(),
  attempt: z.number().int().nullable(),
  startedAt: IsoSchema.nullable(),
  endedAt: IsoSchema.nullable(),
  durationSeconds: SecondsSchema,
  durationText: TextSchema,
  message: z.string().nullable(),
});
export type TimelineStep = z.infer<typeof TimelineStepSchema>;

export const TimelineMarkerSchema = z.object({
  kind: z.enum(['disruption', 'validated', 'sign-off', 'dns-in-sync']),
  at: IsoSchema,
  label: z.string(),
});
export type TimelineMarker = z.infer<typeof TimelineMarkerSchema>;

export const GateSummarySchema = z.object({
  gateId: z.string(),
  stepId: z.string().nullable(),
  /** The title of the gate's step, or of the step a decision gate was opened on. */
  title: z.string().nullable(),
  kind: GateKindSchema,
  principals: z.array(z.string()),
  required: z.number().int().nullable(),
  openedAt: IsoSchema.nullable(),
  closedAt: IsoSchema.nullable(),
  /** Null while the gate is open. */
  decision: GateDecisionSchema.nullable(),
  /** The users the closing decision counted. */
  users: z.array(z.string()),
  answers: z.array(
    z.object({
      user: z.string(),
      decision: GateDecisionSchema,
      at: IsoSchema,
      note: z.string().nullable(),
    }),
  ),
});
export type GateSummary = z.infer<typeof GateSummarySchema>;

export const RpoServerSchema = z.object({
  server: z.string(),
  wave: z.string(),
  critical: z.boolean(),
  status: ServerStatusSchema,
  seconds: SecondsSchema,
  text: TextSchema,
  /** Null when nothing was launched. */
  withinTarget: z.boolean().nullable(),
  dataAt: IsoSchema.nullable(),
  usedPreviousSnapshot: z.boolean(),
});

export const ReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  executionId: z.string(),
  customerId: z.string(),
  customerName: z.string(),
  operation: OperationSchema,
  requestedBy: z.string(),
  reason: z.string().nullable(),
  regions: z.object({ primary: RegionSchema, recovery: RegionSchema }),
  executionRegion: RegionSchema,
  /** The direction the RTO and RPO are measured in: toward the side the operation makes active. */
  direction: DirectionSchema,
  generatedAt: IsoSchema,
  startedAt: IsoSchema,
  endedAt: IsoSchema.nullable(),
  outcome: ReportOutcomeSchema,
  outcomeReason: z.string().nullable(),
  /** The start of the RTO clock; `first-step` when none was journaled. */
  disruption: z
    .object({
      at: IsoSchema,
      source: z.enum(['stop-instances', 'declared', 'region-down', 'first-step']),
    })
    .nullable(),
  rto: z.object({
    seconds: SecondsSchema,
    text: TextSchema,
    target: z.number(),
    targetText: z.string(),
    met: z.boolean(),
    /** When the environment was validated on the side made active. */
    validatedAt: IsoSchema.nullable(),
    /** What the RTO clock stopped on: validation, or (with no validation) the last server healthy. */
    measuredTo: z.enum(['validation', 'servers-healthy']).nullable(),
    signedOffAt: IsoSchema.nullable(),
    withSignOffSeconds: SecondsSchema,
    withSignOffText: TextSchema,
  }),
  rpo: z.object({
    /** The worst RPO among the recovered critical servers (all recovered servers when none is critical). */
    seconds: SecondsSchema,
    text: TextSchema,
    target: z.number(),
    targetText: z.string(),
    met: z.boolean(),
    worstServer: z.string().nullable(),
    /** Critical servers that were not recovered. */
    missing: z.array(z.string()),
    /** Recovered servers judged for RPO whose launch journaled no snapshot time. */
    unmeasured: z.array(z.string()),
    perServer: z.array(RpoServerSchema),
  }),
  waves: z.array(ReportWaveSchema),
  timeline: z.object({
    startedAt: IsoSchema,
    endedAt: IsoSchema,
    steps: z.array(TimelineStepSchema),
    markers: z.array(TimelineMarkerSchema),
  }),
  approvals: z.array(GateSummarySchema),
  signOffs: z.array(GateSummarySchema),
  /** Decision, manual and pause gates: what people decided while the run went on. */
  decisions: z.array(GateSummarySchema),
  excluded: z.array(
    z.object({ server: z.string(), by: z.string().nullable(), at: IsoSchema.nullable() }),
  ),
  notes: z.array(z.string()),
});
export type Report = z.infer<typeof ReportSchema>;

export interface BuildReportInput {
  execution: Execution;
  journal: JournalEntry[];
  steps: Map<string, StepRecord> | StepRecord[];
  customerName: string;
  now: number;
}

/** A time as the report shows it to people: `2025-03-01 02:05:10 UTC`. */
export function formatReportTime(iso: string | null): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '-';
}

/** The outcome as people say it. */
export function describeOutcome(outcome: ReportOutcome): string {
  return outcome === 'succeeded-with-exclusions' ? 'succeeded with exclusions' : outcome;
}

/** Whether the run did what it set out to do, possibly without some servers. */
export function isSuccessful(outcome: ReportOutcome): boolean {
  return outcome === 'succeeded' || outcome === 'succeeded-with-exclusions';
}

/** Where a direction moves the workload: `us-east-1 to us-east-2`. */
export function describeDirection(report: Pick<Report, 'regions'>, direction: Direction): string {
  const { primary, recovery } = report.regions;
  return direction === 'to-primary' ? `${recovery} to ${primary}` : `${primary} to ${recovery}`;
}

/** The facts of a run as label and plain text, for the renderers (which escape them). */
export function describeRun(report: Report): [string, string][] {
  const { disruption } = report;
  return [
    ['Customer', `${report.customerName} (${report.customerId})`],
    ['Operation', `${report.operation}, ${describeDirection(report, report.direction)}`],
    ['Execution', report.executionId],
    ['Requested by', report.requestedBy],
    ...(report.reason ? [['Reason', report.reason] as [string, string]] : []),
    ['Started', formatReportTime(report.startedAt)],
    ['Ended', formatReportTime(report.endedAt)],
    [
      'Disruption',
      disruption ? `${formatReportTime(disruption.at)} (${disruption.source})` : 'none',
    ],
    ['Report generated', formatReportTime(report.generatedAt)],
  ];
}

export const GATE_COLUMNS = ['Step', 'Gate', 'Who', 'Decision', 'When', 'Note'];

/** One row of GATE_COLUMNS per answer, or per gate nobody answered, as plain text. */
export function describeGateAnswers(gates: GateSummary[]): string[][] {
  return gates.flatMap((g) =>
    g.answers.length > 0
      ? g.answers.map((a) => [
          g.title ?? g.kind,
          g.kind,
          a.user,
          a.decision,
          formatReportTime(a.at),
          a.note ?? '',
        ])
      : [[g.title ?? g.kind, g.kind, '-', g.decision ?? 'open', '-', '']],
  );
}

/** Builds the report of a run. Pure: time comes in as `now`. */
export function buildReport(input: BuildReportInput): Report {
  const { execution, customerName, now } = input;
  const runbook = execution.runbook;
  const journal = new JournalReader(input.journal);
  const records = Array.isArray(input.steps)
    ? new Map(input.steps.map((r) => [r.stepId, r]))
    : input.steps;
  const stepsById = new Map(runbook.steps.map((s) => [s.id, s]));
  const timeline = runbook.steps.map((step) => timeOf(step, records.get(step.id), journal));
  const direction: Direction = runbook.operation === 'failback' ? 'to-primary' : 'to-recovery';
  const side: Side = direction === 'to-primary' ? 'primary' : 'recovery';
  const ctx: Context = { execution, runbook, journal, stepsById, timeline, direction, side };

  const disruption = disruptionOf(ctx, direction);
  const exclusions = exclusionsOf(ctx);
  const waves = runbook.steps
    .filter((s): s is StepOf<'recover-wave'> => s.kind === 'recover-wave')
    .map((step) => waveOf(ctx, step, exclusions, disruptionOf(ctx, directionOf(step))?.at));
  const measuredWaves = waves.filter((w) => w.direction === direction);
  const validated = validatedAt(ctx, measuredWaves);
  const signOff = journal
    .all('gate-closed')
    .find((g) => g.data.kind === 'sign-off' && g.data.decision === 'approve');
  const rtoTarget = runbook.targets.rtoSeconds;
  const rtoSeconds = disruption && validated ? seconds(validated.at - disruption.at) : null;
  const signOffSeconds = disruption && signOff ? seconds(signOff.entry.at - disruption.at) : null;

  const rpo = rpoOf(ctx, measuredWaves);
  const gates = gatesOf(ctx);
  const { outcome, reason } = outcomeOf(ctx, exclusions);
  const timelineEnd = Math.max(
    now,
    ...timeline.map((t) => t.endedAt ?? t.startedAt ?? execution.startedAt),
  );
  const markers: TimelineMarker[] = [];
  if (disruption) markers.push({ kind: 'disruption', at: iso(disruption.at), label: 'Disruption' });
  for (const dns of journal.all('dns-changed')) {
    markers.push({
      kind: 'dns-in-sync',
      at: iso(dns.data.insyncAt),
      label: `DNS on ${dns.data.target} in sync`,
    });
  }
  if (validated) markers.push({ kind: 'validated', at: iso(validated.at), label: 'Validated' });
  if (signOff) markers.push({ kind: 'sign-off', at: iso(signOff.entry.at), label: 'Signed off' });

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    executionId: execution.executionId,
    customerId: execution.customerId,
    customerName,
    operation: runbook.operation,
    requestedBy: execution.requestedBy,
    reason: execution.reason ?? null,
    regions: runbook.regions,
    executionRegion: runbook.executionRegion,
    direction,
    generatedAt: iso(now),
    startedAt: iso(execution.startedAt),
    endedAt: optionalIso(execution.endedAt ?? journal.all('execution-finished')[0]?.entry.at),
    outcome,
    outcomeReason: reason,
    disruption: disruption ? { at: iso(disruption.at), source: disruption.source } : null,
    rto: {
      seconds: rtoSeconds,
      text: optionalDuration(rtoSeconds),
      target: rtoTarget,
      targetText: formatDuration(rtoTarget),
      met: rtoSeconds !== null && rtoSeconds <= rtoTarget,
      validatedAt: optionalIso(validated?.at),
      measuredTo: validated?.to ?? null,
      signedOffAt: optionalIso(signOff?.entry.at),
      withSignOffSeconds: signOffSeconds,
      withSignOffText: optionalDuration(signOffSeconds),
    },
    rpo,
    waves: waves.map((w) => w.report),
    timeline: {
      startedAt: iso(Math.min(execution.startedAt, disruption?.at ?? execution.startedAt)),
      endedAt: iso(timelineEnd),
      steps: timeline.map(timelineStepOf),
      markers: markers.sort((a, b) => a.at.localeCompare(b.at)),
    },
    approvals: gates.filter((g) => g.kind === 'approval'),
    signOffs: gates.filter((g) => g.kind === 'sign-off'),
    decisions: gates.filter((g) => g.kind !== 'approval' && g.kind !== 'sign-off'),
    excluded: exclusions.list.map((x) => ({
      server: x.server,
      by: x.by,
      at: x.at === null ? null : iso(x.at),
    })),
    notes: notesOf(ctx, { disruption, validated, waves, exclusions, rpo }),
  };
}

// ---------------------------------------------------------------------------------------------

/** The typed entries of one type, in journal order; entries whose data do not parse are counted. */
class JournalReader {
  readonly entries: JournalEntry[];
  readonly unreadable = new Map<string, number>();
  private readonly cache = new Map<string, Read<unknown>[]>();

  constructor(entries: JournalEntry[]) {
    this.entries = [...entries].sort((a, b) => a.seq - b.seq);
    for (const type of Object.keys(JOURNAL_DATA) as JournalType[]) this.all(type);
  }

  all<T extends JournalType>(type: T): Read<DataOf<T>>[] {
    const cached = this.cache.get(type);
    if (cached) return cached as Read<DataOf<T>>[];
    const read: Read<DataOf<T>>[] = [];
    for (const entry of this.entries) {
      if (entry.type !== type) continue;
      const parsed = JOURNAL_DATA[type].safeParse(entry.data ?? {});
      if (parsed.success) read.push({ entry, data: parsed.data as DataOf<T> });
      else this.unreadable.set(type, (this.unreadable.get(type) ?? 0) + 1);
    }
    this.cache.set(type, read);
    return read;
  }

  /** Entries that carry no typed data: `step-started`. */
  ofType(type: string): JournalEntry[] {
    return this.entries.filter((e) => e.type === type);
  }
}

interface Read<T> {
  entry: JournalEntry;
  data: T;
}

interface StepTime {
  step: Step;
  status: TimelineStatus;
  attempt?: number;
  startedAt?: number;
  endedAt?: number;
  message?: string;
}

interface Context {
  execution: Execution;
  runbook: Runbook;
  journal: JournalReader;
  stepsById: Map<string, Step>;
  timeline: StepTime[];
  /** The direction the run is measured in. */
  direction: Direction;
  side: Side;
}

interface Disruption {
  at: number;
  source: 'stop-instances' | 'declared' | 'region-down' | 'first-step';
  stepId?: string;
}

interface Exclusions {
  list: { server: string; by: string | null; at: number | null; direction: Direction | null }[];
  has(server: string, direction: Direction): boolean;
}

interface WaveResult {
  step: StepOf<'recover-wave'>;
  direction: Direction;
  report: ReportWave;
  servers: ServerResult[];
}

interface ServerResult {
  ref: ServerRef;
  wave: string;
  status: ServerStatus;
  launch?: DataOf<'server-launched'>;
  healthyAt?: number;
  reason?: string;
  rpoSeconds: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const optionalIso = (ms: number | undefined): string | null => (ms === undefined ? null : iso(ms));
const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));
const optionalDuration = (s: number | null): string | null =>
  s === null ? null : formatDuration(s);

function directionOf(step: StepOf<'recover-wave'>): Direction {
  return step.launchInto === 'original' ? 'to-primary' : 'to-recovery';
}

/** The phase whose steps move the workload in a direction. */
function movingPhase(direction: Direction): 'failover' | 'failback' {
  return direction === 'to-primary' ? 'failback' : 'failover';
}

/** A step's span: the first start and the last end the records and the journal know. */
function timeOf(step: Step, record: StepRecord | undefined, journal: JournalReader): StepTime {
  const started = journal.ofType('step-started').filter((e) => e.stepId === step.id);
  const finished = journal.all('step-finished').filter((e) => e.entry.stepId === step.id);
  const lastFinish = finished.at(-1);
  const starts = [record?.startedAt, started[0]?.at].filter((t) => t !== undefined);
  const startedAt = starts.length > 0 ? Math.min(...starts) : undefined;
  const endedAt = record ? record.endedAt : lastFinish?.entry.at;
  const status: TimelineStatus =
    record?.status ?? lastFinish?.data.status ?? (startedAt !== undefined ? 'running' : 'pending');
  const message =
    record?.message ??
    (lastFinish && lastFinish.data.status !== 'done' ? lastFinish.entry.message : undefined);
  return {
    step,
    status,
    ...(record ? { attempt: record.attempt } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(endedAt !== undefined && status !== 'running' ? { endedAt } : {}),
    ...(message ? { message } : {}),
  };
}

function timelineStepOf(t: StepTime): TimelineStep {
  const duration =
    t.startedAt !== undefined && t.endedAt !== undefined ? seconds(t.endedAt - t.startedAt) : null;
  return {
    stepId: t.step.id,
    title: t.step.title,
    kind: t.step.kind === 'gate' ? `gate:${t.step.gate}` : t.step.kind,
    phase: t.step.phase,
    status: t.status,
    bestEffort: t.step.bestEffort,
    attempt: t.attempt ?? null,
    startedAt: optionalIso(t.startedAt),
    endedAt: optionalIso(t.endedAt),
    durationSeconds: duration,
    durationText: optionalDuration(duration),
    message: t.message ?? null,
  };
}

/**
 * The start of the RTO clock in a direction: the journaled disruption (the first one, or the
 * first of the moving phase), the disruption declared on the execution, or else the start of
 * the first step of the moving phase.
 */
function disruptionOf(ctx: Context, direction: Direction): Disruption | undefined {
  const phase = movingPhase(direction);
  const measured = direction === ctx.direction;
  const entries = ctx.journal.all('disruption');
  const own = entries.find((e) => ctx.stepsById.get(e.entry.stepId ?? '')?.phase === phase);
  const chosen = own ?? (measured ? entries[0] : undefined);
  if (chosen) {
    return {
      at: chosen.data.at,
      source: chosen.data.source,
      ...(chosen.entry.stepId ? { stepId: chosen.entry.stepId } : {}),
    };
  }
  if (measured && ctx.execution.disruptionAt !== undefined)
    return { at: ctx.execution.disruptionAt, source: 'declared' };
  const first = ctx.timeline
    .filter((t) => t.step.phase === phase && t.startedAt !== undefined)
    .sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0))[0];
  return first?.startedAt !== undefined
    ? { at: first.startedAt, source: 'first-step', stepId: first.step.id }
    : undefined;
}

/** Servers the operators chose to continue without, in the direction of the step that asked. */
function exclusionsOf(ctx: Context): Exclusions {
  const list: Exclusions['list'] = [];
  for (const { entry, data } of ctx.journal.all('servers-excluded')) {
    const step = ctx.stepsById.get(entry.stepId ?? '');
    const direction =
      step?.kind === 'recover-wave'
        ? directionOf(step)
        : step
          ? step.phase === 'failback'
            ? 'to-primary'
            : 'to-recovery'
          : null;
    for (const server of data.servers)
      list.push({ server, by: data.by ?? null, at: entry.at, direction });
  }
  for (const server of ctx.execution.excluded) {
    if (!list.some((x) => x.server === server))
      list.push({ server, by: null, at: null, direction: null });
  }
  return {
    list,
    has: (server, direction) =>
      list.some((x) => x.server === server && (x.direction === null || x.direction === direction)),
  };
}

function waveOf(
  ctx: Context,
  step: StepOf<'recover-wave'>,
  exclusions: Exclusions,
  disruptionAt: number | undefined,
): WaveResult {
  const direction = directionOf(step);
  const time = ctx.timeline.find((t) => t.step.id === step.id);
  const servers = step.bootGroups
    .flatMap((g) => g.servers)
    .map((ref) => serverOf(ctx, ref, step.wave, direction, exclusions, disruptionAt));
  const duration =
    time?.startedAt !== undefined && time.endedAt !== undefined
      ? seconds(time.endedAt - time.startedAt)
      : null;
  return {
    step,
    direction,
    servers,
    report: {
      stepId: step.id,
      name: step.wave,
      direction,
      status: time?.status ?? 'pending',
      startedAt: optionalIso(time?.startedAt),
      endedAt: optionalIso(time?.endedAt),
      durationSeconds: duration,
      durationText: optionalDuration(duration),
      servers: servers.map((s) => ({
        name: s.ref.name,
        critical: s.ref.critical,
        status: s.status,
        launchedAt: optionalIso(s.launch?.launchedAt),
        healthyAt: optionalIso(s.healthyAt),
        dataAt: optionalIso(s.launch?.dataAt),
        rpoSeconds: s.rpoSeconds,
        rpoText: optionalDuration(s.rpoSeconds),
        snapshotId: s.launch?.snapshotId ?? null,
        usedPreviousSnapshot: s.launch?.usedPreviousSnapshot ?? false,
        reason: s.reason ?? null,
      })),
    },
  };
}

/** A server's last launch, health and failure in one direction decide its status. */
function serverOf(
  ctx: Context,
  ref: ServerRef,
  wave: string,
  direction: Direction,
  exclusions: Exclusions,
  disruptionAt: number | undefined,
): ServerResult {
  const mine = <T extends { server: string; direction: Direction }>(r: Read<T>) =>
    r.data.server === ref.name && r.data.direction === direction;
  const launch = ctx.journal.all('server-launched').filter(mine).at(-1);
  const healthy = ctx.journal.all('server-healthy').filter(mine).at(-1);
  const failed = ctx.journal.all('server-failed').filter(mine).at(-1);
  const recovered = healthy !== undefined && (!failed || failed.entry.seq < healthy.entry.seq);
  const status: ServerStatus = recovered
    ? 'recovered'
    : exclusions.has(ref.name, direction)
      ? 'excluded'
      : failed
        ? 'failed'
        : 'not-recovered';
  const dataAt = launch?.data.dataAt;
  const rpoSeconds =
    dataAt !== undefined && disruptionAt !== undefined ? seconds(disruptionAt - dataAt) : null;
  return {
    ref,
    wave,
    status,
    rpoSeconds,
    ...(launch ? { launch: launch.data } : {}),
    ...(healthy ? { healthyAt: healthy.data.healthyAt } : {}),
    ...(failed && !recovered ? { reason: failed.data.reason } : {}),
  };
}

const VALIDATION_PREFIXES: Record<Side, readonly string[]> = {
  recovery: ['failover.validate.', 'bubble.validate.'],
  primary: ['failback.validate.'],
};

/**
 * When the environment on the active side was validated: every required validation passed, at
 * the last one to pass. With no validation in the runbook (or only optional ones, all failed),
 * when the last server was healthy, provided every wave finished.
 */
function validatedAt(
  ctx: Context,
  waves: WaveResult[],
): { at: number; to: 'validation' | 'servers-healthy' } | undefined {
  const steps = ctx.runbook.steps.filter((s) =>
    VALIDATION_PREFIXES[ctx.side].some((p) => s.id.startsWith(p)),
  );
  const results = ctx.journal.all('validation-finished').filter((v) => v.data.side === ctx.side);
  const passes = (step: Step): number[] => {
    if (step.kind === 'gate') {
      const t = ctx.timeline.find((x) => x.step.id === step.id);
      return t?.status === 'done' && t.endedAt !== undefined ? [t.endedAt] : [];
    }
    const hook = 'hook' in step ? step.hook : undefined;
    return results
      .filter((r) => r.data.ok)
      .filter((r) => r.entry.stepId === step.id || (!r.entry.stepId && r.data.hook === hook))
      .map((r) => r.data.endedAt);
  };
  if (steps.some((s) => !s.bestEffort && passes(s).length === 0)) return undefined;
  const passed = [
    ...results.filter((r) => r.data.ok).map((r) => r.data.endedAt),
    ...steps.filter((s) => s.kind === 'gate').flatMap(passes),
  ];
  if (passed.length > 0) return { at: Math.max(...passed), to: 'validation' };
  const nothingToValidate = steps.length === 0 && results.length === 0;
  const onlyOptional = steps.length > 0 && steps.every((s) => s.bestEffort);
  if (!nothingToValidate && !onlyOptional) return undefined;
  if (waves.length === 0 || waves.some((w) => w.report.status !== 'done')) return undefined;
  const healthy = waves.flatMap((w) => w.servers.flatMap((s) => s.healthyAt ?? []));
  return healthy.length > 0 ? { at: Math.max(...healthy), to: 'servers-healthy' } : undefined;
}

/**
 * RPO in the measured direction. Judged on the recovered critical servers (all recovered
 * servers when no server is critical); met only if no critical server is missing.
 */
function rpoOf(ctx: Context, waves: WaveResult[]): Report['rpo'] {
  const target = ctx.runbook.targets.rpoSeconds;
  const servers = waves.flatMap((w) => w.servers);
  const anyCritical = servers.some((s) => s.ref.critical);
  const recovered = servers.filter(
    (s) => s.status === 'recovered' && (s.ref.critical || !anyCritical),
  );
  const judged = recovered.filter((s) => s.rpoSeconds !== null);
  const unmeasured = recovered.filter((s) => s.rpoSeconds === null);
  const worst = judged.reduce<ServerResult | undefined>(
    (w, s) => (w === undefined || (s.rpoSeconds ?? 0) > (w.rpoSeconds ?? 0) ? s : w),
    undefined,
  );
  const missing = servers.filter((s) => s.ref.critical && s.status !== 'recovered');
  const worstSeconds = worst?.rpoSeconds ?? null;
  return {
    seconds: worstSeconds,
    text: optionalDuration(worstSeconds),
    target,
    targetText: formatDuration(target),
    met:
      missing.length === 0 &&
      unmeasured.length === 0 &&
      worstSeconds !== null &&
      worstSeconds <= target,
    worstServer: worst?.ref.name ?? null,
    missing: missing.map((s) => s.ref.name),
    unmeasured: unmeasured.map((s) => s.ref.name),
    perServer: servers.map((s) => ({
      server: s.ref.name,
      wave: s.wave,
      critical: s.ref.critical,
      status: s.status,
      seconds: s.rpoSeconds,
      text: optionalDuration(s.rpoSeconds),
      withinTarget: s.rpoSeconds === null ? null : s.rpoSeconds <= target,
      dataAt: optionalIso(s.launch?.dataAt),
      usedPreviousSnapshot: s.launch?.usedPreviousSnapshot ?? false,
    })),
  };
}

function gatesOf(ctx: Context): GateSummary[] {
  const gates = new Map<string, GateSummary>();
  const gate = (gateId: string, kind: GateSummary['kind'], entry: JournalEntry) => {
    let g = gates.get(gateId);
    if (!g) {
      const stepId = entry.stepId ?? null;
      g = {
        gateId,
        stepId,
        title: ctx.stepsById.get(stepId ?? '')?.title ?? null,
        kind,
        principals: [],
        required: null,
        openedAt: null,
        closedAt: null,
        decision: null,
        users: [],
        answers: [],
      };
      gates.set(gateId, g);
    }
    return g;
  };
  const { journal } = ctx;
  for (const { entry, data } of journal.all('gate-opened')) {
    Object.assign(gate(data.gateId, data.kind, entry), {
      principals: data.principals,
      required: data.required,
      openedAt: iso(entry.at),
    });
  }
  for (const { entry, data } of journal.all('gate-answered')) {
    gate(data.gateId, data.kind, entry).answers.push({
      user: data.user,
      decision: data.decision,
      at: iso(entry.at),
      note: data.note ?? null,
    });
  }
  for (const { entry, data } of journal.all('gate-closed')) {
    Object.assign(gate(data.gateId, data.kind, entry), {
      closedAt: iso(entry.at),
      decision: data.decision,
      users: data.users,
    });
  }
  return [...gates.values()];
}

/** The journaled outcome; while the report step runs, the outcome the finished steps show. */
function outcomeOf(
  ctx: Context,
  exclusions: Exclusions,
): { outcome: ReportOutcome; reason: string | null } {
  const finished = ctx.journal.all('execution-finished').at(-1);
  let outcome: ReportOutcome;
  if (finished) outcome = finished.data.outcome;
  else if (ctx.execution.status !== 'running' && ctx.execution.status !== 'paused')
    outcome = ctx.execution.status;
  else {
    const ok = ctx.timeline.every(
      (t) =>
        t.step.kind === 'report' ||
        t.status === 'done' ||
        t.status === 'skipped' ||
        (t.status === 'failed' && t.step.bestEffort),
    );
    outcome = ok ? 'succeeded' : ctx.execution.status;
  }
  if (outcome === 'succeeded' && exclusions.list.length > 0) outcome = 'succeeded-with-exclusions';
  return { outcome, reason: finished?.data.reason ?? null };
}

function notesOf(
  ctx: Context,
  found: {
    disruption: Disruption | undefined;
    validated: { at: number; to: 'validation' | 'servers-healthy' } | undefined;
    waves: WaveResult[];
    exclusions: Exclusions;
    rpo: Report['rpo'];
  },
): string[] {
  const { disruption, validated, waves, exclusions, rpo } = found;
  const { runbook, journal } = ctx;
  const activeRegion = runbook.regions[ctx.side];
  const notes: string[] = [];
  const time = (ms: number) => formatReportTime(iso(ms));
  const titleOf = (stepId: string | undefined) => ctx.stepsById.get(stepId ?? '')?.title ?? stepId;

  if (disruption?.source === 'region-down') {
    notes.push(
      `The primary region ${runbook.regions.primary} was down: the disruption is dated ${time(disruption.at)}.`,
    );
  } else if (disruption?.source === 'declared') {
    notes.push(`The disruption was declared to have begun at ${time(disruption.at)}.`);
  } else if (disruption?.source === 'first-step') {
    notes.push(
      `No disruption was journaled: RTO and RPO are measured from the start of "${titleOf(disruption.stepId)}" at ${time(disruption.at)}.`,
    );
  } else if (!disruption) {
    notes.push('The run never reached the failover: RTO and RPO were not measured.');
  }
  for (const { entry, data } of journal.all('instances-stopped')) {
    if (data.unreachable) {
      notes.push(
        `The instances of "${titleOf(entry.stepId)}" could not be stopped: the region did not answer.`,
      );
    }
  }
  const previous = waves
    .filter((w) => w.direction === ctx.direction)
    .flatMap((w) => w.servers)
    .filter((s) => s.launch?.usedPreviousSnapshot);
  if (previous.length > 0) {
    const which = previous
      .map(
        (s) =>
          `${s.ref.name} (data of ${time(s.launch?.dataAt ?? 0)}, RPO ${optionalDuration(s.rpoSeconds) ?? 'unknown'})`,
      )
      .join(', ');
    notes.push(
      `Recovered from the last snapshot taken before the primary became unreachable: ${which}.`,
    );
  }
  const byEntry = new Map<string, string[]>();
  for (const x of exclusions.list) {
    const key = x.by === null ? '' : `${x.by} at ${time(x.at ?? 0)}`;
    byEntry.set(key, [...(byEntry.get(key) ?? []), x.server]);
  }
  for (const [who, servers] of byEntry) {
    notes.push(
      `The operators continued without ${servers.join(', ')}${who ? ` (decided by ${who})` : ''}.`,
    );
  }
  for (const wave of waves) {
    for (const s of wave.servers.filter((x) => x.status === 'failed')) {
      notes.push(
        `${s.ref.name}${s.ref.critical ? '' : ' (not critical)'} failed to recover in ${wave.step.region}: ${s.reason ?? 'no reason given'}.`,
      );
    }
  }
  if (rpo.unmeasured.length > 0) {
    notes.push(
      `The RPO of ${rpo.unmeasured.join(', ')} could not be measured: no snapshot time was journaled with the launch.`,
    );
  }
  for (const s of rpo.perServer) {
    if (!s.critical && s.status === 'recovered' && s.withinTarget === false) {
      notes.push(
        `${s.server} (not critical) was recovered with an RPO of ${s.text}, above the target of ${rpo.targetText}.`,
      );
    }
  }
  for (const t of ctx.timeline.filter((x) => x.status === 'failed')) {
    notes.push(
      `${t.step.bestEffort ? 'Best-effort step' : 'Step'} "${t.step.title}" failed${t.step.bestEffort ? ' and the run went on' : ''}${t.message ? `: ${t.message}` : '.'}`,
    );
  }
  if (validated?.to === 'servers-healthy') {
    notes.push(
      `No validation passed in ${activeRegion}: RTO is measured to the last server healthy.`,
    );
  } else if (!validated && disruption) {
    notes.push(`The environment in ${activeRegion} was never validated: RTO was not met.`);
  }
  for (const [type, count] of journal.unreadable) {
    notes.push(
      `${count} journal entr${count === 1 ? 'y' : 'ies'} of type ${type} could not be read and ${count === 1 ? 'was' : 'were'} left out.`,
    );
  }
  return notes;
}
