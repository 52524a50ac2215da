import { formatDuration } from './duration.ts';
import type { Execution, StepRecord } from './execution.ts';
import type { Direction, JournalEntry } from './journal.ts';
import {
  type Context,
  type Disruption,
  directionOf,
  disruptionOf,
  type Exclusions,
  exclusionsOf,
  iso,
  JournalReader,
  optionalDuration,
  optionalIso,
  rpoOf,
  seconds,
  timelineStepOf,
  timeOf,
  validatedAt,
  type WaveResult,
  waveOf,
} from './measure-run.ts';
import type { Side } from './plan.ts';
import {
  formatReportTime,
  type GateSummary,
  REPORT_SCHEMA_VERSION,
  type Report,
  type ReportOutcome,
  type TimelineMarker,
} from './report.ts';
import type { StepOf } from './runbook.ts';

export interface BuildReportInput {
  execution: Execution;
  journal: readonly JournalEntry[];
  steps: Map<string, StepRecord> | StepRecord[];
  customerName: string;
  now: number;
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
  const signOffSeconds = disruption && signOff ? seconds(signOff.at - disruption.at) : null;

  const rpo = rpoOf(ctx, measuredWaves);
  const gates = gatesOf(ctx);
  const { outcome, reason } = outcomeOf(ctx, exclusions);
  // The report step writes the report as the run's last step, before the run is marked ended:
  // a run whose outcome is known has ended now.
  const endedAt =
    execution.endedAt ??
    journal.all('execution-finished')[0]?.at ??
    (outcome === 'running' || outcome === 'paused' ? undefined : now);
  const timelineEnd = Math.max(
    now,
    ...timeline.map((t) => t.endedAt ?? t.startedAt ?? execution.startedAt),
  );
  const markers: TimelineMarker[] = [];
  if (disruption) markers.push({ kind: 'disruption', at: iso(disruption.at), label: 'Disruption' });
  for (const dns of journal.all('dns-changed')) {
    // Failover records answer the target side from the moment ARC took the routing change.
    if (dns.data.answeredAt !== undefined)
      markers.push({
        kind: 'dns-answered',
        at: iso(dns.data.answeredAt),
        label: `DNS answers the ${dns.data.target} side`,
      });
    markers.push({
      kind: 'dns-in-sync',
      at: iso(dns.data.insyncAt),
      label: `DNS on ${dns.data.target} in sync`,
    });
  }
  if (validated) markers.push({ kind: 'validated', at: iso(validated.at), label: 'Validated' });
  if (signOff) markers.push({ kind: 'sign-off', at: iso(signOff.at), label: 'Signed off' });

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    executionId: execution.executionId,
    customerId: execution.customerId,
    customerName,
    operation: runbook.operation,
    requestedBy: execution.requestedBy,
    requestedByName: journal.all('execution-started')[0]?.data.requestedByName ?? null,
    reason: execution.reason ?? null,
    regions: runbook.regions,
    executionRegion: runbook.executionRegion,
    direction,
    generatedAt: iso(now),
    startedAt: iso(execution.startedAt),
    endedAt: optionalIso(endedAt),
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
      signedOffAt: optionalIso(signOff?.at),
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
  for (const entry of journal.all('gate-opened')) {
    const { data } = entry;
    Object.assign(gate(data.gateId, data.kind, entry), {
      principals: data.principals,
      required: data.required,
      openedAt: iso(entry.at),
    });
  }
  for (const entry of journal.all('gate-answered')) {
    const { data } = entry;
    gate(data.gateId, data.kind, entry).answers.push({
      user: data.user,
      name: data.userName ?? null,
      decision: data.decision,
      at: iso(entry.at),
      note: data.note ?? null,
    });
  }
  for (const entry of journal.all('gate-closed')) {
    const { data } = entry;
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
  for (const entry of journal.all('instances-stopped')) {
    const { data } = entry;
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
  const substituted = waves
    .flatMap((w) => w.servers)
    .filter((s) => s.substitutedFrom && s.launch)
    .map((s) => `${s.ref.name} on ${s.instanceType} instead of ${s.substitutedFrom}`);
  if (substituted.length > 0) {
    notes.push(
      `EC2 had no capacity of some planned instance types; servers ran on their plan's alternatives: ${substituted.join(', ')}.`,
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
  return notes;
}
