import * as z from 'zod';
import { GateDecisionSchema, GateKindSchema } from './execution.ts';
import { DirectionSchema } from './journal.ts';
import { OperationSchema } from './plan.ts';
import { RegionSchema } from './regions.ts';
import { PhaseSchema } from './runbook.ts';

/**
 * The report of one run: RTO and RPO measured against the customer's targets, the timeline, the
 * people who approved, signed off and decided, and notes for the auditor. Built from the
 * execution, its step records and its journal (`build-report.ts`); stored as JSON beside its
 * Markdown and HTML.
 */
export const REPORT_SCHEMA_VERSION = 1;

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
  /** The EC2 instance type it ran on, where known. */
  instanceType: z.string().optional(),
  /** The type it was meant to run on, when EC2 had no capacity of it and it ran on another. */
  substitutedFrom: z.string().optional(),
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
  kind: z.enum(['disruption', 'validated', 'sign-off', 'dns-in-sync', 'dns-answered']),
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
      /** The user's Slack name when they answered; null when the journal has none. */
      name: z.string().nullable(),
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
  /** The requester's Slack name when they asked; null when the journal has none. */
  requestedByName: z.string().nullable(),
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

/** A time as the report shows it to people: `2025-03-01 02:05:10 UTC`. */
export function formatReportTime(iso: string | null): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '-';
}

/** The outcome as people say it. */
export function describeOutcome(outcome: ReportOutcome): string {
  return outcome === 'succeeded-with-exclusions' ? 'succeeded with exclusions' : outcome;
}

/**
 * One measure against its target: `6m (target 15m, missed: 2 critical servers not recovered)`.
 * A miss says why when the figure alone does not. `mark` writes the verdict (plain words, or the
 * Slack message's ✅/❌).
 */
export function describeAgainstTarget(
  report: Pick<Report, 'rto' | 'rpo'>,
  measure: 'rto' | 'rpo',
  mark: (met: boolean) => string = (met) => (met ? 'met' : 'missed'),
): string {
  const { text, targetText, met } = report[measure];
  const { missing, unmeasured } = report.rpo;
  const why =
    measure === 'rpo' && !met
      ? [
          missing.length > 0
            ? `${missing.length} critical server${missing.length === 1 ? '' : 's'} not recovered`
            : '',
          unmeasured.length > 0 ? `${unmeasured.length} without a snapshot time` : '',
        ].filter(Boolean)
      : [];
  const verdict = why.length > 0 ? `${mark(met)}: ${why.join(', ')}` : mark(met);
  return `${text ?? 'not measured'} (target ${targetText}, ${verdict})`;
}

/** The measured RTO and RPO against their targets, in a line: `RTO 3h10m (target 4h, met), RPO …`. */
export function describeTargets(report: Pick<Report, 'rto' | 'rpo'>): string {
  return `RTO ${describeAgainstTarget(report, 'rto')}, RPO ${describeAgainstTarget(report, 'rpo')}`;
}

/** Whether the run did what it set out to do, possibly without some servers. */
export function isSuccessful(outcome: ReportOutcome): boolean {
  return outcome === 'succeeded' || outcome === 'succeeded-with-exclusions';
}
