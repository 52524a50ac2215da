import * as z from 'zod';
import type { BudgetLimits } from './admission.ts';
import { buildReport } from './build-report.ts';
import { formatDuration } from './duration.ts';
import type { Execution, StepRecord } from './execution.ts';
import {
  accountLoads,
  type Incident,
  type IncidentPlan,
  IncidentPlanStateSchema,
  IncidentStatusSchema,
} from './incident.ts';
import { entriesOf, type JournalEntry } from './journal.ts';
import { iso, optionalDuration, optionalIso, seconds } from './measure-run.ts';
import { OperationSchema, PlanKindSchema } from './plan.ts';
import { RegionSchema } from './regions.ts';
import { formatReportTime, type Report, ReportOutcomeSchema } from './report.ts';
import { DRS_QUOTAS } from './settings.ts';

/**
 * The report of a region-wide incident: every plan's order, start and end, RTO and RPO against
 * its targets (taken from its child run's own report, never measured twice), each recovery
 * account's DRS budget use over time, who requested and approved, and which customers missed
 * their targets and why. Built from the incident record and its children's journals; stored as
 * JSON beside its Markdown and HTML.
 */
export const INCIDENT_REPORT_SCHEMA_VERSION = 1;

const IsoSchema = z.iso.datetime();
const SecondsSchema = z.number().min(0).nullable();
const TextSchema = z.string().nullable();

export const PersonSchema = z.object({
  user: z.string(),
  /** The Slack name when known; null otherwise. */
  name: z.string().nullable(),
});

export const SubstitutionSchema = z.object({
  server: z.string(),
  wave: z.string(),
  /** The planned type EC2 had no capacity of. */
  from: z.string(),
  to: z.string(),
  /** The launch failure as DRS reported it. */
  reason: z.string(),
});
export type Substitution = z.infer<typeof SubstitutionSchema>;

/** Why a plan missed its targets, one measure at a time. */
export const MissSchema = z.object({
  measure: z.enum(['rto', 'rpo', 'outcome']),
  reason: z.string(),
});
export type Miss = z.infer<typeof MissSchema>;

export const IncidentReportPlanSchema = z.object({
  customerId: z.string(),
  name: z.string(),
  kind: PlanKindSchema,
  priority: z.number().int(),
  /** Its priority, or the most urgent of the plans waiting on it. */
  startPriority: z.number().int(),
  order: z.object({
    /** 1-based place in the recovery order. */
    position: z.number().int().min(1),
    level: z.number().int().min(0),
    /** The plans (or waves of them) it waited for. */
    after: z.array(z.object({ plan: z.string(), wave: z.string().nullable() })),
  }),
  account: z.string(),
  recoveryRegion: RegionSchema,
  servers: z.number().int(),
  /** The child run that carried it; null when none started. */
  executionId: z.string().nullable(),
  /** The run's own operation: `drill` for a drill the incident turned into a failover. */
  operation: OperationSchema.nullable(),
  /** A drill under way when the region was lost, continued as a failover (sign-off and failback cancelled). */
  convertedFromDrill: z.boolean(),
  /** The plan's state in the incident. */
  state: IncidentPlanStateSchema,
  /** The child run's outcome, from its report; null without a run. */
  outcome: ReportOutcomeSchema.nullable(),
  outcomeReason: TextSchema,
  startedAt: IsoSchema.nullable(),
  endedAt: IsoSchema.nullable(),
  /** From the approval to the plan's start: its wait for its `after` plans and its turn. */
  waitedToStartSeconds: SecondsSchema,
  rto: z.object({
    seconds: SecondsSchema,
    text: TextSchema,
    target: z.number(),
    targetText: z.string(),
    /** Null when no run measured it. */
    met: z.boolean().nullable(),
  }),
  rpo: z.object({
    seconds: SecondsSchema,
    text: TextSchema,
    target: z.number(),
    targetText: z.string(),
    met: z.boolean().nullable(),
    worstServer: TextSchema,
    /** What pre-flight expected a failover to lose when the incident was requested. */
    expectedSeconds: SecondsSchema,
  }),
  /** The longest wave of its recovery. */
  longestWave: z
    .object({ name: z.string(), seconds: z.number().min(0), text: z.string() })
    .nullable(),
  /** Time its DRS jobs waited for room in the account's budget, by wave (waits still open count to the end). */
  admission: z.object({
    waitedSeconds: z.number().min(0),
    waits: z.array(
      z.object({ wave: z.string(), seconds: z.number().min(0), behind: z.string().nullable() }),
    ),
  }),
  substitutions: z.array(SubstitutionSchema),
  /** Why it was held, or a start refused. */
  note: TextSchema,
  /** Empty when every target was met. */
  missed: z.array(MissSchema),
});
export type IncidentReportPlan = z.infer<typeof IncidentReportPlanSchema>;

/** One moment of an account's DRS budget use: the values hold from `at` until the next point. */
export const QuotaPointSchema = z.object({
  at: IsoSchema,
  /** Concurrent DRS jobs of the incident's runs. */
  jobs: z.number().int().min(0),
  /** Servers in those jobs. */
  servers: z.number().int().min(0),
  /** Servers whose jobs wait for room (admission). */
  waiting: z.number().int().min(0),
});
export type QuotaPoint = z.infer<typeof QuotaPointSchema>;

export const AccountUseSchema = z.object({
  account: z.string(),
  region: RegionSchema,
  plans: z.array(z.string()),
  servers: z.number().int(),
  limits: z.object({ jobs: z.number().int(), servers: z.number().int() }),
  /** Rounds of the server budget the account needs at the least. */
  rounds: z.number().int(),
  peak: z.object({ jobs: z.number().int(), servers: z.number().int() }),
  /** The peak stayed within the budget. */
  withinBudget: z.boolean(),
  /** DRS jobs started. */
  jobsStarted: z.number().int(),
  waitedSeconds: z.number().min(0),
  /** A step series, in time order, from the approval to the end. */
  series: z.array(QuotaPointSchema),
});
export type AccountUse = z.infer<typeof AccountUseSchema>;

export const IncidentReportSchema = z.object({
  schemaVersion: z.literal(INCIDENT_REPORT_SCHEMA_VERSION),
  incidentId: z.string(),
  region: RegionSchema,
  executionRegion: RegionSchema,
  operation: z.literal('failover'),
  reason: TextSchema,
  status: IncidentStatusSchema,
  generatedAt: IsoSchema,
  createdAt: IsoSchema,
  approvedAt: IsoSchema.nullable(),
  endedAt: IsoSchema.nullable(),
  requestedBy: PersonSchema,
  approvedBy: z.array(PersonSchema.extend({ at: IsoSchema.nullable() })),
  abortedBy: PersonSchema.nullable(),
  makespan: z.object({
    /** From the approval to the end of the last plan. */
    seconds: SecondsSchema,
    text: TextSchema,
    lastPlan: TextSchema,
    /** The least time the incident could have taken, when its source computed it honestly. */
    lowerBound: z
      .object({ seconds: z.number().min(0), text: z.string(), source: z.string() })
      .nullable(),
    /** Makespan over its lower bound. */
    ratio: z.number().nullable(),
  }),
  totals: z.object({
    plans: z.number().int(),
    servers: z.number().int(),
    succeeded: z.number().int(),
    /** Plans that failed, were aborted or held, or never ended. */
    notRecovered: z.number().int(),
    missedTargets: z.number().int(),
    substitutions: z.number().int(),
  }),
  plans: z.array(IncidentReportPlanSchema),
  accounts: z.array(AccountUseSchema),
  notes: z.array(z.string()),
});
export type IncidentReport = z.infer<typeof IncidentReportSchema>;

/** A plan's child run as the state store keeps it. */
export interface IncidentChildRun {
  execution: Execution;
  journal: readonly JournalEntry[];
  steps: Map<string, StepRecord> | StepRecord[];
}

export interface BuildIncidentReportInput {
  incident: Incident;
  /** Each plan's child run by customer id; plans that never started have none. */
  runs: ReadonlyMap<string, IncidentChildRun>;
  /** The incident's own journal: its approvers' answers, names and times. @default [] */
  journal?: readonly JournalEntry[];
  /** The DRS budget each account's runs shared (`budgetLimits(settings)`). */
  limits: BudgetLimits;
  /** The least time the incident could take, from whoever can compute it honestly (the benchmark). */
  lowerBound?: { seconds: number; source: string };
  now: number;
}

/** Builds the report of an incident. Pure: time comes in as `now`. */
export function buildIncidentReport(input: BuildIncidentReportInput): IncidentReport {
  const { incident, now } = input;
  const journal = input.journal ?? [];
  const end = incident.endedAt ?? now;
  const start = incident.approvedAt ?? incident.createdAt;
  const reports = new Map<string, Report>();
  for (const plan of incident.plans) {
    const run = runOf(input, plan);
    if (run) reports.set(plan.customerId, buildReport({ ...run, customerName: plan.name, now }));
  }
  const usage = quotaUse(incident, input, start, end);
  const plans = incident.plans.map((plan, i) =>
    planOf(incident, plan, i, reports.get(plan.customerId), runOf(input, plan), usage.waits, end),
  );
  const ends = plans.flatMap((p) => (p.endedAt ? [{ plan: p, at: Date.parse(p.endedAt) }] : []));
  const last = ends.sort((a, b) => b.at - a.at)[0];
  const makespan =
    incident.approvedAt !== undefined && last ? seconds(last.at - incident.approvedAt) : null;
  const bound = input.lowerBound;
  const names = namesOf(incident, journal);
  const person = (user: string) => ({ user, name: names.get(user) ?? null });
  const answers = entriesOf(journal, 'gate-answered').filter(
    (e) => e.data.kind === 'approval' && e.data.decision === 'approve',
  );
  const abortedBy = incident.abortRequestedBy ? person(incident.abortRequestedBy) : null;

  return {
    schemaVersion: INCIDENT_REPORT_SCHEMA_VERSION,
    incidentId: incident.incidentId,
    region: incident.region,
    executionRegion: incident.executionRegion,
    operation: 'failover',
    reason: incident.reason ?? null,
    status: incident.status,
    generatedAt: iso(now),
    createdAt: iso(incident.createdAt),
    approvedAt: optionalIso(incident.approvedAt),
    endedAt: optionalIso(incident.endedAt),
    requestedBy: person(incident.requestedBy),
    approvedBy: incident.approvedBy.map((user) => ({
      ...person(user),
      at: optionalIso(answers.filter((a) => a.data.user === user).at(-1)?.at),
    })),
    abortedBy,
    makespan: {
      seconds: makespan,
      text: optionalDuration(makespan),
      lastPlan: last?.plan.customerId ?? null,
      lowerBound: bound
        ? { seconds: bound.seconds, text: formatDuration(bound.seconds), source: bound.source }
        : null,
      ratio:
        makespan !== null && bound && bound.seconds > 0
          ? Math.round((makespan / bound.seconds) * 1000) / 1000
          : null,
    },
    totals: {
      plans: plans.length,
      servers: plans.reduce((n, p) => n + p.servers, 0),
      succeeded: plans.filter((p) => p.state === 'succeeded').length,
      notRecovered: plans.filter((p) => p.state !== 'succeeded').length,
      missedTargets: plans.filter((p) => p.missed.length > 0).length,
      substitutions: plans.reduce((n, p) => n + p.substitutions.length, 0),
    },
    plans,
    accounts: usage.accounts,
    notes: notesOf(incident, plans, usage.accounts, input),
  };
}

function runOf(input: BuildIncidentReportInput, plan: IncidentPlan): IncidentChildRun | undefined {
  const run = input.runs.get(plan.customerId);
  return run && run.execution.executionId === plan.executionId ? run : undefined;
}

/** The names the incident knows people by: the requester's, the approvers' and each answer's. */
function namesOf(incident: Incident, journal: readonly JournalEntry[]): Map<string, string> {
  const names = new Map<string, string>(Object.entries(incident.approvedByNames));
  for (const e of entriesOf(journal, 'gate-answered'))
    if (e.data.userName) names.set(e.data.user, e.data.userName);
  for (const e of entriesOf(journal, 'abort-requested'))
    if (e.data.byName) names.set(e.data.by, e.data.byName);
  if (incident.requestedByName) names.set(incident.requestedBy, incident.requestedByName);
  return names;
}

function planOf(
  incident: Incident,
  plan: IncidentPlan,
  index: number,
  report: Report | undefined,
  run: IncidentChildRun | undefined,
  waits: ReadonlyMap<string, AdmissionWait[]>,
  incidentEnd: number,
): IncidentReportPlan {
  const startedAt = plan.startedAt ?? run?.execution.startedAt;
  const endedAt =
    run?.execution.endedAt ??
    (report?.endedAt ? Date.parse(report.endedAt) : undefined) ??
    plan.endedAt;
  const waves = (report?.waves ?? []).filter(
    (w) => w.direction === report?.direction && w.durationSeconds !== null,
  );
  const longest = waves.sort((a, b) => (b.durationSeconds ?? 0) - (a.durationSeconds ?? 0))[0];
  const planWaits = (waits.get(plan.customerId) ?? []).map((w) => ({
    wave: w.wave,
    seconds: seconds((w.until ?? incidentEnd) - w.since),
    behind: w.behind ?? null,
  }));
  const substitutions: Substitution[] = run
    ? entriesOf(run.journal, 'instance-type-changed').map((e) => ({
        server: e.data.server,
        wave: e.data.wave,
        from: e.data.from,
        to: e.data.to,
        reason: e.data.reason,
      }))
    : [];
  const entry: Omit<IncidentReportPlan, 'missed'> = {
    customerId: plan.customerId,
    name: plan.name,
    kind: plan.kind,
    priority: plan.priority,
    startPriority: plan.startPriority,
    order: {
      position: index + 1,
      level: plan.level,
      after: plan.waitsFor.map((a) => ({ plan: a.plan, wave: a.wave ?? null })),
    },
    account: plan.account,
    recoveryRegion: plan.recoveryRegion,
    servers: plan.servers,
    executionId: plan.executionId ?? null,
    operation: run?.execution.operation ?? null,
    convertedFromDrill:
      run?.execution.convertedToFailover !== undefined ||
      plan.existing?.handling === 'continue-as-failover',
    state: plan.state,
    outcome: report?.outcome ?? null,
    outcomeReason: report?.outcomeReason ?? null,
    startedAt: optionalIso(startedAt),
    endedAt: optionalIso(endedAt),
    waitedToStartSeconds:
      startedAt !== undefined && incident.approvedAt !== undefined
        ? seconds(startedAt - incident.approvedAt)
        : null,
    rto: {
      seconds: report?.rto.seconds ?? null,
      text: report?.rto.text ?? null,
      target: plan.targets.rtoSeconds,
      targetText: formatDuration(plan.targets.rtoSeconds),
      met: report ? report.rto.met : null,
    },
    rpo: {
      seconds: report?.rpo.seconds ?? null,
      text: report?.rpo.text ?? null,
      target: plan.targets.rpoSeconds,
      targetText: formatDuration(plan.targets.rpoSeconds),
      met: report ? report.rpo.met : null,
      worstServer: report?.rpo.worstServer ?? null,
      expectedSeconds: plan.readiness?.expectedRpoSeconds ?? null,
    },
    longestWave:
      longest && longest.durationSeconds !== null
        ? {
            name: longest.name,
            seconds: longest.durationSeconds,
            text: formatDuration(longest.durationSeconds),
          }
        : null,
    admission: {
      waitedSeconds: planWaits.reduce((n, w) => n + w.seconds, 0),
      waits: planWaits,
    },
    substitutions,
    note: plan.note ?? null,
  };
  return { ...entry, missed: missesOf(incident, plan, entry, report) };
}

/** Which targets a plan missed, and what the data says about why. */
function missesOf(
  incident: Incident,
  plan: IncidentPlan,
  entry: Omit<IncidentReportPlan, 'missed'>,
  report: Report | undefined,
): Miss[] {
  const misses: Miss[] = [];
  if (entry.state !== 'succeeded') {
    const why =
      plan.note ??
      report?.outcomeReason ??
      (report ? failedServersOf(report) : undefined) ??
      (entry.state === 'running' || entry.state === 'waiting'
        ? `still ${entry.state} when the incident ended`
        : `its run ended ${entry.state}`);
    misses.push({ measure: 'outcome', reason: `${describePlanState(entry.state)}: ${why}` });
  }
  if (report && entry.rto.met === false) {
    const parts = [
      entry.rto.seconds === null
        ? `RTO not reached (target ${entry.rto.targetText})`
        : `RTO ${entry.rto.text} over its target of ${entry.rto.targetText}`,
    ];
    if (entry.longestWave)
      parts.push(`its longest wave was ${entry.longestWave.name} (${entry.longestWave.text})`);
    const worstWait = [...entry.admission.waits].sort((a, b) => b.seconds - a.seconds)[0];
    if (worstWait && worstWait.seconds > 0)
      parts.push(
        `its DRS jobs waited ${formatDuration(entry.admission.waitedSeconds)} for room in account ${plan.account}, the longest in wave ${worstWait.wave}${worstWait.behind ? ` behind ${worstWait.behind}` : ''}`,
      );
    if (entry.waitedToStartSeconds)
      parts.push(
        `it started ${formatDuration(entry.waitedToStartSeconds)} after the approval${entry.order.after.length > 0 ? ` (after ${entry.order.after.map((a) => (a.wave ? `${a.plan} wave ${a.wave}` : a.plan)).join(', ')})` : ''}`,
      );
    misses.push({ measure: 'rto', reason: parts.join('; ') });
  }
  if (report && entry.rpo.met === false) {
    const worst = report.rpo.perServer.find((s) => s.server === report.rpo.worstServer);
    const parts = [
      entry.rpo.seconds === null
        ? `RPO not measured (target ${entry.rpo.targetText})${report.rpo.missing.length > 0 ? `: critical servers not recovered: ${report.rpo.missing.join(', ')}` : ''}`
        : `RPO ${entry.rpo.text} over its target of ${entry.rpo.targetText}`,
    ];
    if (worst?.dataAt)
      parts.push(
        `the data of ${worst.server} dates from ${formatReportTime(worst.dataAt)}${worst.usedPreviousSnapshot ? ' (the last snapshot before the primary became unreachable)' : ''}`,
      );
    if (entry.rpo.expectedSeconds !== null)
      parts.push(
        `pre-flight expected ${formatDuration(entry.rpo.expectedSeconds)} of data loss when ${incident.region} was declared lost`,
      );
    misses.push({ measure: 'rpo', reason: parts.join('; ') });
  }
  return misses;
}

function failedServersOf(report: Report): string | undefined {
  const failed = report.waves
    .filter((w) => w.direction === report.direction)
    .flatMap((w) => w.servers)
    .filter((s) => s.status === 'failed');
  return failed.length > 0
    ? failed.map((s) => `${s.name} failed: ${s.reason ?? 'no reason given'}`).join('; ')
    : undefined;
}

/** A plan's state as a sentence begins. */
export function describePlanState(state: IncidentReportPlan['state']): string {
  switch (state) {
    case 'held':
      return 'Held';
    case 'waiting':
      return 'Never started';
    default:
      return state.charAt(0).toUpperCase() + state.slice(1);
  }
}

/** A wait for room in a budget, from `admission-waiting` until its `admission-granted`. */
interface AdmissionWait {
  wave: string;
  since: number;
  until?: number;
  behind?: string;
}

interface Change {
  at: number;
  jobs: number;
  servers: number;
  waiting: number;
}

/**
 * Each recovery account's DRS budget use over time, from the children's journals: a job holds its
 * servers (as the admission controller's lease does) from `drs-job-started` until every one of its
 * servers is launched, failed, or relaunched on another type, or its wave step or run ends; a wait
 * for room lasts from `admission-waiting` to `admission-granted`. Times are the journal's.
 */
function quotaUse(
  incident: Incident,
  input: BuildIncidentReportInput,
  start: number,
  end: number,
): { accounts: AccountUse[]; waits: Map<string, AdmissionWait[]> } {
  const changes = new Map<string, Change[]>();
  const started = new Map<string, number>();
  const waits = new Map<string, AdmissionWait[]>();
  const add = (key: string, change: Change) =>
    changes.set(key, [...(changes.get(key) ?? []), change]);
  for (const plan of incident.plans) {
    const run = runOf(input, plan);
    if (!run) continue;
    const planWaits: AdmissionWait[] = [];
    waits.set(plan.customerId, planWaits);
    const stepsById = new Map(run.execution.runbook.steps.map((s) => [s.id, s]));
    /** The recover-wave step each wave is in now (jobs journaled without a step). */
    const waveStep = new Map<string, string>();
    const jobs = new Map<string, { key: string; wave: string; size: number; open: Set<string> }>();
    const holder = new Map<string, string>();
    const waiting = new Map<string, { key: string; servers: number; wait: AdmissionWait }>();
    const release = (server: string, wave: string, at: number) => {
      const jobId = holder.get(`${wave}/${server}`);
      if (!jobId) return;
      holder.delete(`${wave}/${server}`);
      const job = jobs.get(jobId);
      if (!job) return;
      job.open.delete(server);
      if (job.open.size === 0) {
        jobs.delete(jobId);
        add(job.key, { at, jobs: -1, servers: -job.size, waiting: 0 });
      }
    };
    const endWave = (wave: string | undefined, at: number) => {
      for (const job of [...jobs.values()])
        if (wave === undefined || job.wave === wave)
          for (const server of [...job.open]) release(server, job.wave, at);
      for (const [w, wait] of [...waiting])
        if (wave === undefined || w === wave) {
          wait.wait.until = at;
          add(wait.key, { at, jobs: 0, servers: 0, waiting: -wait.servers });
          waiting.delete(w);
        }
    };
    const budgetOf = (wave: string, stepId: string | undefined) => {
      const step = stepsById.get(stepId ?? waveStep.get(wave) ?? '');
      return `${plan.account}#${step?.kind === 'recover-wave' ? step.region : plan.recoveryRegion}`;
    };
    for (const e of [...run.journal].sort((a, b) => a.seq - b.seq)) {
      switch (e.type) {
        case 'step-started': {
          const step = stepsById.get(e.stepId ?? '');
          if (step?.kind === 'recover-wave') waveStep.set(step.wave, step.id);
          break;
        }
        case 'step-finished': {
          const step = stepsById.get(e.stepId ?? '');
          if (step?.kind === 'recover-wave') endWave(step.wave, e.at);
          break;
        }
        case 'admission-waiting': {
          const key = `${e.data.account}#${e.data.region}`;
          if (waiting.has(e.data.wave)) break;
          const wait: AdmissionWait = {
            wave: e.data.wave,
            since: e.at,
            ...(e.data.behind ? { behind: e.data.behind } : {}),
          };
          planWaits.push(wait);
          waiting.set(e.data.wave, { key, servers: e.data.servers.length, wait });
          add(key, { at: e.at, jobs: 0, servers: 0, waiting: e.data.servers.length });
          break;
        }
        case 'admission-granted': {
          const wait = waiting.get(e.data.wave);
          if (!wait) break;
          wait.wait.until = e.at;
          waiting.delete(e.data.wave);
          add(wait.key, { at: e.at, jobs: 0, servers: 0, waiting: -wait.servers });
          break;
        }
        case 'drs-job-started': {
          const { jobId, wave, servers } = e.data;
          // DRS runs one job per server: a server in a new job has left its old one.
          for (const server of servers) release(server, wave, e.at);
          const key = budgetOf(wave, e.stepId);
          jobs.set(jobId, { key, wave, size: servers.length, open: new Set(servers) });
          for (const server of servers) holder.set(`${wave}/${server}`, jobId);
          started.set(key, (started.get(key) ?? 0) + 1);
          add(key, { at: e.at, jobs: 1, servers: servers.length, waiting: 0 });
          break;
        }
        case 'server-launched':
        case 'server-failed':
        case 'instance-type-changed':
          release(e.data.server, e.data.wave, e.at);
          break;
        case 'execution-finished':
          endWave(undefined, e.at);
          break;
      }
    }
    const runEnd = run.execution.endedAt;
    if (runEnd !== undefined) endWave(undefined, runEnd);
  }

  const loads = accountLoads(incident.plans, input.limits, DRS_QUOTAS.replicatingServers);
  const accounts = loads.map((load): AccountUse => {
    const key = `${load.account}#${load.region}`;
    const series = stepSeries(changes.get(key) ?? [], start, end);
    const peak = {
      jobs: Math.max(0, ...series.map((p) => p.jobs)),
      servers: Math.max(0, ...series.map((p) => p.servers)),
    };
    const plans = incident.plans.filter(
      (p) => p.account === load.account && p.recoveryRegion === load.region,
    );
    return {
      account: load.account,
      region: (plans[0] as IncidentPlan).recoveryRegion,
      plans: plans.map((p) => p.customerId),
      servers: load.servers,
      limits: { jobs: input.limits.jobs, servers: input.limits.servers },
      rounds: load.rounds,
      peak,
      withinBudget: peak.jobs <= input.limits.jobs && peak.servers <= input.limits.servers,
      jobsStarted: started.get(key) ?? 0,
      waitedSeconds: plans
        .flatMap((p) => waits.get(p.customerId) ?? [])
        .reduce((n, w) => n + seconds((w.until ?? end) - w.since), 0),
      series,
    };
  });
  return { accounts, waits };
}

/** Sums changes into a step series from `start` to `end`: one point per moment something changed. */
function stepSeries(changes: readonly Change[], start: number, end: number): QuotaPoint[] {
  const sorted = [...changes].sort((a, b) => a.at - b.at);
  const from = Math.min(start, sorted[0]?.at ?? start);
  const to = Math.max(end, sorted.at(-1)?.at ?? end);
  const points: { at: number; jobs: number; servers: number; waiting: number }[] = [
    { at: from, jobs: 0, servers: 0, waiting: 0 },
  ];
  for (const c of sorted) {
    const prev = points.at(-1) as (typeof points)[number];
    const next = {
      at: c.at,
      jobs: prev.jobs + c.jobs,
      servers: prev.servers + c.servers,
      waiting: prev.waiting + c.waiting,
    };
    if (prev.at === c.at) points[points.length - 1] = next;
    else points.push(next);
  }
  const lastPoint = points.at(-1) as (typeof points)[number];
  if (lastPoint.at < to) points.push({ ...lastPoint, at: to });
  // Two moments with the same values say nothing the first did not.
  const kept = points.filter(
    (p, i) =>
      i === 0 ||
      i === points.length - 1 ||
      !sameValues(p, points[i - 1] as (typeof points)[number]),
  );
  return kept.map((p) => ({ ...p, at: iso(p.at) }));
}

function sameValues(a: Omit<Change, 'at'>, b: Omit<Change, 'at'>): boolean {
  return a.jobs === b.jobs && a.servers === b.servers && a.waiting === b.waiting;
}

function notesOf(
  incident: Incident,
  plans: IncidentReportPlan[],
  accounts: AccountUse[],
  input: BuildIncidentReportInput,
): string[] {
  const notes: string[] = [];
  if (incident.abortRequested)
    notes.push(
      `The incident was aborted${incident.abortRequestedBy ? ` by ${incident.abortRequestedBy}` : ''}: plans not started then were not started.`,
    );
  for (const plan of plans.filter((p) => p.convertedFromDrill))
    notes.push(
      `${plan.name} was in a drill when ${incident.region} was lost: the drill continued as a failover (its sign-off and failback cancelled).`,
    );
  for (const account of accounts.filter((a) => !a.withinBudget))
    notes.push(
      `Account ${account.account} (${account.region}) went over its DRS budget: ${account.peak.jobs} jobs and ${account.peak.servers} servers at the peak, against ${account.limits.jobs} and ${account.limits.servers}.`,
    );
  const missing = incident.plans.filter(
    (p) => p.executionId && input.runs.get(p.customerId)?.execution.executionId !== p.executionId,
  );
  if (missing.length > 0)
    notes.push(
      `The runs of ${missing.map((p) => p.customerId).join(', ')} could not be read: their RTO, RPO and DRS use are missing.`,
    );
  if (!input.lowerBound)
    notes.push(
      'No lower bound of the makespan is given: the journals do not say how long DRS alone needs; the benchmark computes it from the simulator.',
    );
  notes.push(
    "The DRS budget use counts the incident's runs only (journal times): runs outside the incident in the same accounts share the budget too.",
  );
  return notes;
}
