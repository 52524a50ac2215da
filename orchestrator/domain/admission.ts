import * as z from 'zod';
import { RegionSchema } from './regions.ts';
import { DRS_QUOTAS, type RunbookSettings } from './settings.ts';

/**
 * The admission controller's decisions: several runs share one recovery account's DRS budget
 * (jobs, and servers in active jobs, per account and region). Each DRS job holds a lease taken
 * before `StartRecovery`, so DRS never refuses a job for its quotas; higher priority first
 * (1 before 5), equal priorities first come first served. A lease past its `expiresAt` no longer
 * counts (its holder died); each grant carries a fencing token greater than any before for its
 * budget, and a renewal or release naming a token that no longer holds is refused. Pure: the
 * store reads a budget, applies one of these, and writes the result back conditionally.
 */

export const BUDGET_SCHEMA_VERSION = 1;

/** How long a lease or a place in the queue lasts unless its holder renews it. */
export const ADMISSION_LEASE_MS = 5 * 60_000;

/** Which budget: DRS's quotas are per account and region. */
export const BudgetKeySchema = z.strictObject({
  account: z.string().min(1),
  region: RegionSchema,
});
export type BudgetKey = z.infer<typeof BudgetKeySchema>;

export const BudgetLimitsSchema = z.strictObject({
  /** Concurrent jobs. */
  jobs: z.number().int().min(1),
  /** Servers in active jobs. */
  servers: z.number().int().min(1),
});
export type BudgetLimits = z.infer<typeof BudgetLimitsSchema>;

export const AdmissionRequestSchema = z.strictObject({
  ...BudgetKeySchema.shape,
  runId: z.string().min(1),
  customerId: z.string().min(1),
  /** 1 first ... 5 last. */
  priority: z.number().int().min(1).max(5),
  servers: z.number().int().min(1),
  /**
   * Names the job within its run (its first server): asking again for a job that already holds
   * a lease (a retried task) gets that lease back rather than a second one.
   */
  job: z.string().min(1),
});
export type AdmissionRequest = z.infer<typeof AdmissionRequestSchema>;

export const LeaseSchema = z.strictObject({
  token: z.number().int().min(1),
  runId: z.string(),
  customerId: z.string(),
  job: z.string(),
  priority: z.number().int(),
  servers: z.number().int(),
  grantedAt: z.number(),
  expiresAt: z.number(),
});
export type Lease = z.infer<typeof LeaseSchema>;

/** A request told to wait: it keeps its place while its run keeps asking. */
export const WaitingSchema = z.strictObject({
  runId: z.string(),
  customerId: z.string(),
  job: z.string(),
  priority: z.number().int(),
  servers: z.number().int(),
  since: z.number(),
  expiresAt: z.number(),
});
export type Waiting = z.infer<typeof WaitingSchema>;

export const BudgetStateSchema = z.strictObject({
  schemaVersion: z.literal(BUDGET_SCHEMA_VERSION),
  limits: BudgetLimitsSchema,
  /** The last fencing token granted: never reused, never lowered. */
  lastToken: z.number().int().min(0),
  leases: z.array(LeaseSchema),
  waiting: z.array(WaitingSchema),
});
export type BudgetState = z.infer<typeof BudgetStateSchema>;

export type WaitReason = 'jobs' | 'servers' | 'queued';

export type AdmissionDecision =
  | { kind: 'grant'; lease: Lease; state: BudgetState }
  | {
      kind: 'wait';
      reason: WaitReason;
      /** 1 when nobody waiting goes before it. */
      position: number;
      /** Live leases and the servers they hold, for the message. */
      active: { jobs: number; servers: number };
      /** The request it waits behind, when it is queued. */
      behind?: Pick<Waiting, 'runId' | 'customerId' | 'priority'>;
      state: BudgetState;
    };

/** A renewal or release: applied, or refused because the token no longer holds a live lease. */
export type LeaseChange =
  | { kind: 'applied'; lease: Lease; state: BudgetState }
  | { kind: 'refused'; reason: 'stale'; state: BudgetState };

/** The budget of one account and region: the runbook settings, never above DRS's quotas. */
export function budgetLimits(
  settings: Pick<RunbookSettings, 'maxConcurrentJobs' | 'maxServersInActiveJobs'>,
): BudgetLimits {
  return {
    jobs: Math.min(settings.maxConcurrentJobs, DRS_QUOTAS.concurrentJobs),
    servers: Math.min(settings.maxServersInActiveJobs, DRS_QUOTAS.serversInActiveJobs),
  };
}

/** A budget nobody has used yet. */
export function emptyBudget(limits: BudgetLimits): BudgetState {
  return { schemaVersion: BUDGET_SCHEMA_VERSION, limits, lastToken: 0, leases: [], waiting: [] };
}

/** Whether `a` goes before `b` in the queue: lower priority number, then earlier, then by id. */
function precedes(a: Waiting, b: Waiting): boolean {
  if (a.priority !== b.priority) return a.priority < b.priority;
  if (a.since !== b.since) return a.since < b.since;
  return `${a.runId}#${a.job}` < `${b.runId}#${b.job}`;
}

/** Whether `servers` more fit in the room left; a job larger than the whole budget runs alone. */
function fits(
  room: { jobs: number; servers: number },
  servers: number,
  limits: BudgetLimits,
  idle: boolean,
): boolean {
  if (room.jobs < 1) return false;
  if (servers <= room.servers) return true;
  return idle && servers > limits.servers && servers <= DRS_QUOTAS.serversInActiveJobs;
}

/**
 * Grants the request a lease, or tells it to wait. Expired leases and queue places are dropped
 * from the state it returns. Those waiting before it (higher priority, or equal and earlier)
 * get the room first: when one of them does not fit, nobody behind it takes what is left.
 */
export function decideAdmission(
  state: BudgetState,
  request: AdmissionRequest,
  now: number,
  leaseMs = ADMISSION_LEASE_MS,
): AdmissionDecision {
  const leases = state.leases.filter((l) => l.expiresAt > now);
  const waiting = state.waiting.filter((w) => w.expiresAt > now);
  const held = leases.find((l) => l.runId === request.runId && l.job === request.job);
  if (held) {
    const lease = { ...held, expiresAt: now + leaseMs };
    return {
      kind: 'grant',
      lease,
      state: { ...state, leases: leases.map((l) => (l === held ? lease : l)), waiting },
    };
  }
  const mine = (w: Waiting) => w.runId === request.runId && w.job === request.job;
  const me: Waiting = {
    runId: request.runId,
    customerId: request.customerId,
    job: request.job,
    priority: request.priority,
    servers: request.servers,
    since: waiting.find(mine)?.since ?? now,
    expiresAt: now + leaseMs,
  };
  const others = waiting.filter((w) => !mine(w));
  const ahead = others.filter((w) => precedes(w, me)).sort((a, b) => (precedes(a, b) ? -1 : 1));
  const active = { jobs: leases.length, servers: leases.reduce((n, l) => n + l.servers, 0) };
  const room = {
    jobs: state.limits.jobs - active.jobs,
    servers: state.limits.servers - active.servers,
  };
  const idle = leases.length === 0;
  const wait = (reason: WaitReason, behind?: Waiting): AdmissionDecision => ({
    kind: 'wait',
    reason,
    position: ahead.length + 1,
    active,
    ...(behind
      ? {
          behind: { runId: behind.runId, customerId: behind.customerId, priority: behind.priority },
        }
      : {}),
    state: { ...state, leases, waiting: [...others, me] },
  });
  for (const before of ahead) {
    if (!fits(room, before.servers, state.limits, idle && room.jobs === state.limits.jobs))
      return wait('queued', before);
    // It will take this room when it asks again: keep it for it.
    room.jobs -= 1;
    room.servers -= before.servers;
  }
  if (!fits(room, request.servers, state.limits, idle && room.jobs === state.limits.jobs))
    return wait(room.jobs < 1 ? 'jobs' : 'servers', ahead[0]);
  const lease: Lease = {
    token: state.lastToken + 1,
    runId: request.runId,
    customerId: request.customerId,
    job: request.job,
    priority: request.priority,
    servers: request.servers,
    grantedAt: now,
    expiresAt: now + leaseMs,
  };
  return {
    kind: 'grant',
    lease,
    state: { ...state, lastToken: lease.token, leases: [...leases, lease], waiting: others },
  };
}

/** Extends a live lease; refused when its token no longer holds one (it expired, or was freed). */
export function renewLease(
  state: BudgetState,
  token: number,
  now: number,
  leaseMs = ADMISSION_LEASE_MS,
): LeaseChange {
  const held = state.leases.find((l) => l.token === token && l.expiresAt > now);
  if (!held) return { kind: 'refused', reason: 'stale', state };
  const lease = { ...held, expiresAt: now + leaseMs };
  return {
    kind: 'applied',
    lease,
    state: { ...state, leases: state.leases.map((l) => (l === held ? lease : l)) },
  };
}

/**
 * Frees a lease. A token that holds nothing (expired, freed before, or never granted) frees
 * nothing: a late writer cannot free a lease granted after its own.
 */
export function releaseLease(state: BudgetState, token: number, now: number): LeaseChange {
  const held = state.leases.find((l) => l.token === token && l.expiresAt > now);
  const leases = state.leases.filter((l) => l.token !== token && l.expiresAt > now);
  if (!held) return { kind: 'refused', reason: 'stale', state: { ...state, leases } };
  return { kind: 'applied', lease: held, state: { ...state, leases } };
}

/** One line for people: why a request waits. */
export function describeWait(
  decision: Extract<AdmissionDecision, { kind: 'wait' }>,
  key: BudgetKey,
): string {
  const { limits } = decision.state;
  const where = `account ${key.account} (${key.region})`;
  const why =
    decision.reason === 'queued' && decision.behind
      ? `behind ${decision.behind.customerId} (priority ${decision.behind.priority})`
      : decision.reason === 'jobs'
        ? `${decision.active.jobs} of ${limits.jobs} DRS jobs active`
        : `${decision.active.servers} of ${limits.servers} servers in active DRS jobs`;
  return `Waiting for DRS room in ${where}: ${why}; position ${decision.position} in the queue`;
}
