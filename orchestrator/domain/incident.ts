import * as z from 'zod';
import { type ExecutionStatusSchema, hasEnded } from './execution.ts';
import { OperationSchema, type Plan, PlanKindSchema } from './plan.ts';
import { planRecoveryOrder, type RecoveryStart } from './recovery-order.ts';
import { type Region, RegionSchema } from './regions.ts';
import { PreflightResultSchema, type Runbook, type StepOf } from './runbook.ts';

/**
 * A region-wide incident: one request and one approval for every plan whose primary is the lost
 * region, then one child run per plan (the customer's own runbook), started as `after` and
 * `priority` allow. The incident record is the run of runs: what each plan waits for, which child
 * run carries it, and how it ended. Its decisions are here, pure; the coordinator applies them.
 */
export const INCIDENT_SCHEMA_VERSION = 1;

export const IncidentStatusSchema = z.enum([
  /** Pre-flight of every plan is being gathered. */
  'preparing',
  /** The request card waits for its approvers. */
  'awaiting-approval',
  'running',
  /** Every plan recovered. */
  'succeeded',
  /** Every plan ended, and at least one did not recover (or was held for a person). */
  'failed',
  'aborted',
  'rejected',
  'expired',
]);
export type IncidentStatus = z.infer<typeof IncidentStatusSchema>;

/** An incident in one of these has ended: its buttons do nothing, a new one may be requested. */
export function incidentEnded(status: IncidentStatus): boolean {
  return !['preparing', 'awaiting-approval', 'running'].includes(status);
}

/** Where one plan stands in the incident. */
export const IncidentPlanStateSchema = z.enum([
  /** Waits for the approval, for the plans it comes after, or for its turn. */
  'waiting',
  /** Its child run is under way. */
  'running',
  'succeeded',
  'failed',
  'aborted',
  /** Not started, and will not be without a person: the reason says why and what to do. */
  'held',
]);
export type IncidentPlanState = z.infer<typeof IncidentPlanStateSchema>;

/**
 * A run of the customer that was already going when the incident was declared, and what the
 * incident does with it (shown on the request card, applied once approved):
 * - `continue-as-failover`: an in-place drill is moving the customer to the recovery region, or
 *   is there already; it stays there: its sign-off and failback are cancelled and it ends as a
 *   failover. The incident follows that run instead of starting one.
 * - `follow`: a failover of the customer is already running; the incident follows it.
 * - `abort-then-failover`: a bubble drill (isolated, serving nobody) is aborted; the failover
 *   starts once it has ended.
 * - `abort-and-hold`: a failback into the lost region is aborted; where the customer runs then
 *   needs a person's eyes, so the plan is held.
 */
export const ExistingRunHandlingSchema = z.enum([
  'continue-as-failover',
  'follow',
  'abort-then-failover',
  'abort-and-hold',
]);
export type ExistingRunHandling = z.infer<typeof ExistingRunHandlingSchema>;

export const ExistingRunSchema = z.strictObject({
  executionId: z.string(),
  operation: OperationSchema,
  /** Whether the run had already moved traffic to the recovery region when the incident was declared. */
  failedOver: z.boolean(),
  handling: ExistingRunHandlingSchema,
});
export type ExistingRun = z.infer<typeof ExistingRunSchema>;

/** What the request card shows of one plan before approval. */
export const IncidentReadinessSchema = z.strictObject({
  /** Every blocking check passed. */
  ok: z.boolean(),
  results: z.array(PreflightResultSchema),
  /** The worst replication lag or the age of the oldest last snapshot: what a failover now would lose. */
  expectedRpoSeconds: z.number().nullable(),
});
export type IncidentReadiness = z.infer<typeof IncidentReadinessSchema>;

export const IncidentPlanSchema = z.strictObject({
  customerId: z.string(),
  name: z.string(),
  kind: PlanKindSchema,
  priority: z.number().int().min(1).max(5),
  /** Its priority, or the most urgent of the plans waiting on it. */
  startPriority: z.number().int().min(1).max(5),
  /** Its place in the recovery order (0: nothing to wait for). */
  level: z.number().int().min(0),
  waitsFor: z.array(z.strictObject({ plan: z.string(), wave: z.string().optional() })),
  recoveryRegion: RegionSchema,
  /** The account DRS recovers it in: plans of one account share its quotas. */
  account: z.string(),
  servers: z.number().int().min(0),
  /** The largest wave: the most servers one of its jobs may ask for at once. */
  largestWave: z.number().int().min(0),
  targets: z.strictObject({ rpoSeconds: z.number(), rtoSeconds: z.number() }),
  channel: z.string().optional(),
  readiness: IncidentReadinessSchema.optional(),
  existing: ExistingRunSchema.optional(),
  state: IncidentPlanStateSchema,
  /** The child run carrying the plan (started by the incident, or an existing one it follows). */
  executionId: z.string().optional(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  /** The child run's progress, as the incident card shows it. */
  progress: z
    .strictObject({
      wavesDone: z.number().int(),
      waveCount: z.number().int(),
      serversRecovered: z.number().int(),
    })
    .optional(),
  /** For `held`, and for a start that was refused: why, and what a person can do. */
  note: z.string().optional(),
});
export type IncidentPlan = z.infer<typeof IncidentPlanSchema>;

export const IncidentSchema = z.strictObject({
  schemaVersion: z.literal(INCIDENT_SCHEMA_VERSION),
  incidentId: z.string(),
  /** The region lost: every plan whose primary it is takes part. */
  region: RegionSchema,
  /** Where the incident's own state machine runs (never the lost region). */
  executionRegion: RegionSchema,
  operation: z.literal('failover'),
  requestedBy: z.string(),
  requestedByName: z.string().optional(),
  reason: z.string().optional(),
  /**
   * When the region was lost, as declared (`--since`); else the incident's request. Every child's
   * RTO runs from it: a customer that waited its turn waited in the outage.
   */
  disruptionAt: z.number().optional(),
  /** The operations channel: the request card and the incident card live there. */
  channel: z.string(),
  status: IncidentStatusSchema,
  createdAt: z.number(),
  approvedAt: z.number().optional(),
  endedAt: z.number().optional(),
  /** Who approved (the M of N), once approved. */
  approvedBy: z.array(z.string()),
  approvedByNames: z.record(z.string(), z.string()).default({}),
  abortRequested: z.boolean(),
  abortRequestedBy: z.string().optional(),
  /** Every plan, in recovery order. */
  plans: z.array(IncidentPlanSchema),
});
export type Incident = z.infer<typeof IncidentSchema>;

/** The state machine's input for an incident: what the bot starts it with. */
export const IncidentRequestSchema = z.strictObject({
  incidentId: z.string().min(1),
  region: RegionSchema,
  requestedBy: z.string().min(1),
  requestedByName: z.string().optional(),
  reason: z.string().optional(),
  /** When the region was lost (ms), when declared after the fact. */
  disruptionAt: z.number().optional(),
  channel: z.string().min(1),
});
export type IncidentRequest = z.infer<typeof IncidentRequestSchema>;

/** An incident's id (a Step Functions execution name people can read): `incident-us-east-1-20261206-120000-k3f9`. */
export function incidentName(region: string, at: number, nonce: string): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `incident-${region}-${stamp}-${nonce}`.slice(0, 80);
}

/** Whether a run or gate id names an incident rather than a customer's run. */
export function isIncidentId(id: string): boolean {
  return id.startsWith('incident-');
}

/** The lock key that keeps one open incident per lost region (customer ids cannot start with `#`). */
export function regionLockKey(region: string): string {
  return `#region:${region}`;
}

/** What the coordinator sees of a plan's child run when it looks. */
export interface ChildView {
  status: z.infer<typeof ExecutionStatusSchema>;
  /** Waves whose recovery step is done. */
  wavesDone: readonly string[];
  /** The customer's lock is free (a run the incident aborted has let go). */
  lockFree: boolean;
}

/** One thing the coordinator does now. */
export type IncidentAction =
  | { kind: 'start'; customerId: string }
  | { kind: 'abort'; customerId: string; executionId: string }
  | { kind: 'convert'; customerId: string; executionId: string };

export interface IncidentAdvance {
  /** The plans' new states (the record to write). */
  plans: IncidentPlan[];
  actions: IncidentAction[];
  /** Every plan has ended (or is held): the incident ends with `status`. */
  done: boolean;
  status: IncidentStatus;
  /** When to look again. */
  waitSeconds: number;
}

/** How often the coordinator looks while some plan waits to start, and while all are running. */
export const INCIDENT_POLL_SECONDS = { starting: 30, following: 120 } as const;

const ENDED: readonly IncidentPlanState[] = ['succeeded', 'failed', 'aborted', 'held'];

/**
 * One look at the incident: which plans have ended (from their child runs), which may start now
 * (everything they come after recovered, or reached the named wave), which are held because
 * something they wait for failed, and which existing runs to convert or abort. Plans start in
 * the recovery order, highest `startPriority` first, at most `maxRunning` child runs at once;
 * DRS's quotas are shared by the admission controller, not here. An abort requested stops
 * every start and aborts the running children.
 */
export function advanceIncident(
  incident: Incident,
  children: ReadonlyMap<string, ChildView>,
  now: number,
  maxRunning: number,
): IncidentAdvance {
  const actions: IncidentAction[] = [];
  const plans = incident.plans.map((plan) => ({ ...plan }));
  const byId = new Map(plans.map((p) => [p.customerId, p]));

  // 1. What the children did since the last look.
  for (const plan of plans) {
    if (plan.state !== 'running' || !plan.executionId) continue;
    const child = children.get(plan.customerId);
    if (!child || !hasEnded(child.status)) continue;
    plan.state =
      child.status === 'succeeded' ? 'succeeded' : child.status === 'failed' ? 'failed' : 'aborted';
    plan.endedAt = now;
  }

  if (incident.abortRequested) {
    for (const plan of plans) {
      if (plan.state === 'running' && plan.executionId) {
        actions.push({ kind: 'abort', customerId: plan.customerId, executionId: plan.executionId });
      } else if (plan.state === 'waiting') {
        plan.state = 'aborted';
        plan.endedAt = now;
        plan.note = 'Not started: the incident was aborted.';
      }
    }
    const running = plans.some((p) => p.state === 'running');
    return {
      plans,
      actions,
      done: !running,
      status: running ? incident.status : 'aborted',
      waitSeconds: INCIDENT_POLL_SECONDS.starting,
    };
  }

  // 2. Runs that were going when the incident was declared: applied once, at the first look.
  for (const plan of plans) {
    const existing = plan.existing;
    if (plan.state !== 'waiting' || !existing || plan.note === ABORT_SENT) continue;
    switch (existing.handling) {
      case 'continue-as-failover':
        actions.push({
          kind: 'convert',
          customerId: plan.customerId,
          executionId: existing.executionId,
        });
        plan.state = 'running';
        plan.executionId = existing.executionId;
        plan.startedAt = now;
        break;
      case 'follow':
        plan.state = 'running';
        plan.executionId = existing.executionId;
        plan.startedAt = now;
        break;
      case 'abort-then-failover':
        actions.push({
          kind: 'abort',
          customerId: plan.customerId,
          executionId: existing.executionId,
        });
        plan.note = ABORT_SENT;
        break;
      case 'abort-and-hold':
        actions.push({
          kind: 'abort',
          customerId: plan.customerId,
          executionId: existing.executionId,
        });
        plan.state = 'held';
        plan.endedAt = now;
        plan.note = `A failback into ${incident.region} (${existing.executionId}) was under way: it is aborted. Check where ${plan.name} runs now, then fail it over with /dr failover ${plan.customerId} if it is not in ${plan.recoveryRegion}.`;
        break;
    }
  }

  // 3. Plans whose wait is over, or can never be.
  const met = (after: { plan: string; wave?: string }): 'met' | 'waiting' | 'never' => {
    const other = byId.get(after.plan);
    if (!other) return 'met'; // not failing over in this incident
    if (other.state === 'succeeded') return 'met';
    if (other.state === 'failed' || other.state === 'aborted' || other.state === 'held')
      return 'never';
    if (after.wave && other.state === 'running') {
      const child = children.get(other.customerId);
      if (child?.wavesDone.includes(after.wave)) return 'met';
    }
    return 'waiting';
  };
  let running = plans.filter((p) => p.state === 'running').length;
  const ready = plans
    .filter((p) => p.state === 'waiting')
    .sort((a, b) => a.startPriority - b.startPriority || a.level - b.level);
  for (const plan of ready) {
    const waits = plan.waitsFor.map((after) => ({ after, state: met(after) }));
    const never = waits.find((w) => w.state === 'never');
    if (never) {
      const other = byId.get(never.after.plan);
      plan.state = 'held';
      plan.endedAt = now;
      plan.note = `Not started: it comes after ${never.after.plan}${never.after.wave ? ` (wave ${never.after.wave})` : ''}, which ${other?.state === 'held' ? 'is held' : `ended ${other?.state}`}. Fail ${plan.customerId} over by hand (/dr failover ${plan.customerId}) once what it needs runs.`;
      continue;
    }
    if (waits.some((w) => w.state === 'waiting')) continue;
    // An aborted bubble drill still holds the customer until its run has ended.
    if (plan.note === ABORT_SENT && !children.get(plan.customerId)?.lockFree) continue;
    if (running >= maxRunning) continue;
    actions.push({ kind: 'start', customerId: plan.customerId });
    plan.state = 'running';
    plan.startedAt = now;
    delete plan.note;
    running += 1;
  }

  const done = plans.every((p) => ENDED.includes(p.state));
  const status: IncidentStatus = done
    ? plans.every((p) => p.state === 'succeeded')
      ? 'succeeded'
      : 'failed'
    : 'running';
  return {
    plans,
    actions,
    done,
    status,
    waitSeconds: plans.some((p) => p.state === 'waiting')
      ? INCIDENT_POLL_SECONDS.starting
      : INCIDENT_POLL_SECONDS.following,
  };
}

/** The note a plan carries while the run it replaces is being aborted. */
const ABORT_SENT = 'Waiting for the run it replaces to end (abort sent).';

/**
 * What the incident does with a run already going for one of its customers (see
 * {@link ExistingRunHandlingSchema}). `failedOver`: traffic already moved to the recovery region.
 */
export function handleExistingRun(operation: z.infer<typeof OperationSchema>): ExistingRunHandling {
  switch (operation) {
    case 'drill':
      return 'continue-as-failover';
    case 'failover':
      return 'follow';
    case 'bubble-drill':
      return 'abort-then-failover';
    case 'failback':
      return 'abort-and-hold';
  }
}

/**
 * The plans of a lost region in recovery order, every one waiting. Throws PlanValidationError
 * for an `after` cycle (plan validate refuses those before they deploy).
 */
export function incidentPlans(plans: readonly Plan[], region: Region): IncidentPlan[] {
  const byId = new Map(plans.map((p) => [p.customer.id, p]));
  return planRecoveryOrder(plans, region).map((start: RecoveryStart) => {
    const plan = byId.get(start.customerId);
    if (!plan) throw new Error(`unreachable: ${start.customerId} is not among the plans`);
    const sizes = plan.waves.map((w) => w.servers.length);
    return {
      customerId: start.customerId,
      name: plan.customer.name,
      kind: start.kind,
      priority: start.priority,
      startPriority: start.startPriority,
      level: start.level,
      waitsFor: start.waitsFor.map((a) => ({ plan: a.plan, ...(a.wave ? { wave: a.wave } : {}) })),
      recoveryRegion: plan.regions.recovery,
      account: plan.account.id,
      servers: sizes.reduce((a, b) => a + b, 0),
      largestWave: Math.max(0, ...sizes),
      targets: { rpoSeconds: plan.targets.rpo, rtoSeconds: plan.targets.rto },
      ...(plan.slack.channels[0] ? { channel: plan.slack.channels[0] } : {}),
      state: 'waiting',
    };
  });
}

/** One recovery account's load in the incident, against the DRS budget its runs share. */
export interface AccountLoad {
  account: string;
  region: string;
  plans: number;
  servers: number;
  largestWave: number;
  /** The budget: jobs and servers in active jobs at once. */
  limits: { jobs: number; servers: number };
  /** Servers DRS's replication limit allows per account and region (300). */
  replicatingLimit: number;
  /** Rounds of the server budget the account needs at the least (servers / servers budget). */
  rounds: number;
}

/** Each recovery account's share of the incident, as the request card and the report show it. */
export function accountLoads(
  plans: readonly IncidentPlan[],
  limits: { jobs: number; servers: number },
  replicatingLimit: number,
): AccountLoad[] {
  const loads = new Map<string, AccountLoad>();
  for (const plan of plans) {
    const key = `${plan.account}#${plan.recoveryRegion}`;
    const load = loads.get(key) ?? {
      account: plan.account,
      region: plan.recoveryRegion,
      plans: 0,
      servers: 0,
      largestWave: 0,
      limits,
      replicatingLimit,
      rounds: 0,
    };
    load.plans += 1;
    load.servers += plan.servers;
    load.largestWave = Math.max(load.largestWave, plan.largestWave);
    load.rounds = Math.ceil(load.servers / limits.servers);
    loads.set(key, load);
  }
  return [...loads.values()].sort((a, b) => a.account.localeCompare(b.account));
}

/**
 * A child run's runbook: the customer's own, without its approval gate (the incident's M-of-N
 * approval covers every plan; a second card per customer would ask the same people again).
 */
export function incidentChildRunbook(runbook: Runbook): Runbook {
  return {
    ...runbook,
    steps: runbook.steps.filter((s) => !(s.kind === 'gate' && s.gate === 'approval')),
  };
}

/**
 * A drill turned into a failover: the steps from its sign-off on (sign-off, failback and their
 * hooks) are cancelled (the report stays). Undefined once the failback has begun: the drill is
 * then moving the customer back into the lost region, and a person must look.
 */
export function cancelForFailover(
  runbook: Runbook,
  records: ReadonlyMap<string, { status: string }>,
): string[] | undefined {
  const cut = runbook.steps.findIndex((s) => s.phase === 'sign-off' || s.phase === 'failback');
  if (cut < 0) return [];
  const tail = runbook.steps.slice(cut).filter((s) => s.kind !== 'report');
  if (tail.some((s) => s.phase === 'failback' && records.has(s.id))) return undefined;
  return tail.map((s) => s.id);
}

/**
 * A drill's runbook carried on as a failover: each step the failover runbook also has takes the
 * failover's best-effort rule (what needs the lost primary, such as stopping its sources or
 * replicating back to it, is tried and journaled, not a decision to wait on).
 */
export function asFailover(drill: Runbook, failover: Runbook): Runbook {
  const lenient = new Set(failover.steps.filter((s) => s.bestEffort).map((s) => s.id));
  return {
    ...drill,
    steps: drill.steps.map((s) => (lenient.has(s.id) ? { ...s, bestEffort: true } : s)),
  };
}

/** The waves of a run's recovery (to the recovery region) that are done, and the servers in them. */
export function childProgress(
  runbook: Runbook,
  records: ReadonlyMap<string, { status: string }>,
): { wavesDone: string[]; waveCount: number; serversRecovered: number } {
  const waves = runbook.steps.filter(
    (s): s is StepOf<'recover-wave'> => s.kind === 'recover-wave' && s.phase === 'failover',
  );
  const done = waves.filter((w) => records.get(w.id)?.status === 'done');
  return {
    wavesDone: done.map((w) => w.wave),
    waveCount: waves.length,
    serversRecovered: done.reduce(
      (n, w) => n + w.bootGroups.reduce((m, g) => m + g.servers.length, 0),
      0,
    ),
  };
}
