import { formatDuration } from './duration.ts';
import type { Execution, StepRecord } from './execution.ts';
import {
  type Direction,
  entriesOf,
  type JournalData,
  type JournalEntry,
  type JournalEntryOf,
  type JournalType,
} from './journal.ts';
import type { Side } from './plan.ts';
import type { Report, ReportWave, ServerStatus, TimelineStatus, TimelineStep } from './report.ts';
import type { Runbook, ServerRef, Step, StepOf } from './runbook.ts';

/**
 * Measuring a run from its journal and step records: each step's span, the disruption that
 * starts the RTO clock, each wave and server in a direction, when the environment was
 * validated, and the RPO. Pure; `build-report.ts` assembles the report from these.
 */

/** The entries of each type, in journal order, typed; each type filtered once. */
export class JournalReader {
  readonly entries: JournalEntry[];
  private readonly cache = new Map<JournalType, JournalEntry[]>();

  constructor(entries: readonly JournalEntry[]) {
    this.entries = [...entries].sort((a, b) => a.seq - b.seq);
  }

  all<T extends JournalType>(type: T): JournalEntryOf<T>[] {
    let read = this.cache.get(type);
    if (!read) {
      read = entriesOf(this.entries, type);
      this.cache.set(type, read);
    }
    return read as JournalEntryOf<T>[];
  }
}

export interface StepTime {
  step: Step;
  status: TimelineStatus;
  attempt?: number;
  startedAt?: number;
  endedAt?: number;
  message?: string;
}

export interface Context {
  execution: Execution;
  runbook: Runbook;
  journal: JournalReader;
  stepsById: Map<string, Step>;
  timeline: StepTime[];
  /** The direction the run is measured in. */
  direction: Direction;
  side: Side;
}

export interface Disruption {
  at: number;
  source: 'stop-instances' | 'declared' | 'region-down' | 'first-step';
  stepId?: string;
}

export interface Exclusions {
  list: { server: string; by: string | null; at: number | null; direction: Direction | null }[];
  has(server: string, direction: Direction): boolean;
}

export interface WaveResult {
  step: StepOf<'recover-wave'>;
  direction: Direction;
  report: ReportWave;
  servers: ServerResult[];
}

export interface ServerResult {
  ref: ServerRef;
  wave: string;
  status: ServerStatus;
  launch?: JournalData<'server-launched'>;
  healthyAt?: number;
  reason?: string;
  rpoSeconds: number | null;
  /** The instance type it ran on, and the one it was meant to run on when they differ. */
  instanceType?: string;
  substitutedFrom?: string;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const optionalIso = (ms: number | undefined): string | null =>
  ms === undefined ? null : iso(ms);
export const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));
export const optionalDuration = (s: number | null): string | null =>
  s === null ? null : formatDuration(s);

export function directionOf(step: StepOf<'recover-wave'>): Direction {
  return step.launchInto === 'original' ? 'to-primary' : 'to-recovery';
}

/** The phase whose steps move the workload in a direction. */
function movingPhase(direction: Direction): 'failover' | 'failback' {
  return direction === 'to-primary' ? 'failback' : 'failover';
}

/** A step's span: the first start and the last end the records and the journal know. */
export function timeOf(
  step: Step,
  record: StepRecord | undefined,
  journal: JournalReader,
): StepTime {
  const started = journal.all('step-started').filter((e) => e.stepId === step.id);
  const finished = journal.all('step-finished').filter((e) => e.stepId === step.id);
  const lastFinish = finished.at(-1);
  const starts = [record?.startedAt, started[0]?.at].filter((t) => t !== undefined);
  const startedAt = starts.length > 0 ? Math.min(...starts) : undefined;
  const endedAt = record ? record.endedAt : lastFinish?.at;
  const status: TimelineStatus =
    record?.status ?? lastFinish?.data.status ?? (startedAt !== undefined ? 'running' : 'pending');
  const message =
    record?.message ??
    (lastFinish && lastFinish.data.status !== 'done' ? lastFinish.message : undefined);
  return {
    step,
    status,
    ...(record ? { attempt: record.attempt } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(endedAt !== undefined && status !== 'running' ? { endedAt } : {}),
    ...(message ? { message } : {}),
  };
}

export function timelineStepOf(t: StepTime): TimelineStep {
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
export function disruptionOf(ctx: Context, direction: Direction): Disruption | undefined {
  const phase = movingPhase(direction);
  const measured = direction === ctx.direction;
  const entries = ctx.journal.all('disruption');
  const own = entries.find((e) => ctx.stepsById.get(e.stepId ?? '')?.phase === phase);
  const chosen = own ?? (measured ? entries[0] : undefined);
  if (chosen) {
    return {
      at: chosen.data.at,
      source: chosen.data.source,
      ...(chosen.stepId ? { stepId: chosen.stepId } : {}),
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
export function exclusionsOf(ctx: Context): Exclusions {
  const list: Exclusions['list'] = [];
  for (const entry of ctx.journal.all('servers-excluded')) {
    const { data } = entry;
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

export function waveOf(
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
        ...(s.instanceType ? { instanceType: s.instanceType } : {}),
        ...(s.substitutedFrom ? { substitutedFrom: s.substitutedFrom } : {}),
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
  const mine = (r: { data: { server: string; direction: Direction } }) =>
    r.data.server === ref.name && r.data.direction === direction;
  const launch = ctx.journal.all('server-launched').filter(mine).at(-1);
  const healthy = ctx.journal.all('server-healthy').filter(mine).at(-1);
  const failed = ctx.journal.all('server-failed').filter(mine).at(-1);
  const recovered = healthy !== undefined && (!failed || failed.seq < healthy.seq);
  const changes = ctx.journal.all('instance-type-changed').filter(mine);
  const instanceType = launch?.data.instanceType ?? changes.at(-1)?.data.to;
  const original = changes[0]?.data.from;
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
    ...(instanceType ? { instanceType } : {}),
    ...(original && original !== instanceType ? { substitutedFrom: original } : {}),
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
export function validatedAt(
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
      .filter((r) => r.stepId === step.id || (!r.stepId && r.data.hook === hook))
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
export function rpoOf(ctx: Context, waves: WaveResult[]): Report['rpo'] {
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
