import { ADMISSION_LEASE_MS, type BudgetKey, describeWait } from '../domain/admission.ts';
import type { StepOf } from '../domain/runbook.ts';
import type { StepContext } from './context.ts';

type Step = StepOf<'recover-wave'>;

/** The leases a wave holds, kept in its state between polls. */
export interface HeldLeases {
  /** The lease of the job at the head of the batch, taken and not yet started in DRS. */
  pending?: HeldLease;
  /** The leases of started jobs, by DRS job id. */
  leases: Record<string, HeldLease>;
  /** Jobs started under a lease in this wave: names the next one, so a relaunch gets its own. */
  started: number;
  /** Since when the job at the head of the batch waits for room (ms), once journaled. */
  waitingSince?: number;
  /** When the wait was last seen: waiting time is kept out of the group's timeout. */
  lastWaitAt?: number;
}

interface HeldLease {
  token: number;
  expiresAt: number;
}

/** What of the wave's state the lease handling reads and moves on. */
interface WaveLeaseState {
  groupStartedAt: number;
  admission?: HeldLeases;
}

function budgetOf(ctx: StepContext, step: Step): BudgetKey | undefined {
  return ctx.admission ? { account: ctx.admission.account, region: step.region } : undefined;
}

/**
 * Before a job's `StartRecovery`: takes (or, asked again, keeps) a lease for its servers in the
 * recovery account's DRS budget. False when it must wait: journaled once per wait, with its
 * position. Time spent waiting does not count against the group's timeout: that is about DRS
 * and the servers, not about other customers ahead in the queue.
 */
export async function admitJob(
  ctx: StepContext,
  step: Step,
  state: WaveLeaseState,
  servers: string[],
): Promise<boolean> {
  const key = budgetOf(ctx, step);
  if (!ctx.admission || !key) return true;
  state.admission ??= { leases: {}, started: 0 };
  const held = state.admission;
  const now = ctx.now();
  // Asked again (a throttled start), the same job gets the same lease, renewed.
  const job = `${step.wave}#${held.started}`;
  const decision = await ctx.admission.store.acquire(
    {
      ...key,
      runId: ctx.execution.executionId,
      customerId: ctx.execution.customerId,
      priority: ctx.admission.priority,
      servers: servers.length,
      job,
    },
    ctx.admission.limits,
    now,
  );
  if (held.lastWaitAt !== undefined) state.groupStartedAt += now - held.lastWaitAt;
  if (decision.kind === 'wait') {
    held.lastWaitAt = now;
    if (held.waitingSince === undefined) {
      held.waitingSince = now;
      await ctx.journal('admission-waiting', describeWait(decision, key), {
        ...key,
        wave: step.wave,
        servers,
        reason: decision.reason,
        position: decision.position,
        ...(decision.behind ? { behind: decision.behind.customerId } : {}),
      });
    }
    return false;
  }
  held.pending = { token: decision.lease.token, expiresAt: decision.lease.expiresAt };
  if (held.waitingSince !== undefined) {
    const waitedSeconds = Math.round((now - held.waitingSince) / 1000);
    await ctx.journal(
      'admission-granted',
      `DRS room in account ${key.account} (${key.region}) after ${waitedSeconds} s: ${servers.length} servers start`,
      { ...key, wave: step.wave, servers, token: decision.lease.token, waitedSeconds },
    );
  }
  delete held.waitingSince;
  delete held.lastWaitAt;
  return true;
}

/** After its `StartRecovery`: the job's lease is the DRS job's now. */
export function bindLease(state: WaveLeaseState, jobId: string): void {
  const held = state.admission;
  if (!held?.pending) return;
  held.leases[jobId] = held.pending;
  delete held.pending;
  held.started += 1;
}

/**
 * On each poll of the launch: frees the leases of jobs DRS has completed (their servers
 * launched or failed) and renews the others once half their time is gone (a write a poll
 * would cost each run's jobs two table calls every 30 s). A renewal refused (the lease expired
 * while this run was away) is dropped: the job runs on, the run just no longer holds its room.
 */
export async function keepLeases(
  ctx: StepContext,
  step: Step,
  state: WaveLeaseState,
  jobs: { jobId: string }[],
  completed: { jobId: string }[],
): Promise<void> {
  const key = budgetOf(ctx, step);
  if (!ctx.admission || !key || !state.admission) return;
  const ended = new Set(completed.map((j) => j.jobId));
  const now = ctx.now();
  for (const job of jobs.map((j) => j.jobId)) {
    const held = state.admission.leases[job];
    if (!held) continue;
    if (ended.has(job)) {
      await ctx.admission.store.release(key, held.token, now);
      delete state.admission.leases[job];
    } else if (held.expiresAt - now < ADMISSION_LEASE_MS / 2) {
      const renewed = await ctx.admission.store.renew(key, held.token, now);
      if (renewed.kind === 'applied') held.expiresAt = renewed.lease.expiresAt;
      else delete state.admission.leases[job];
    }
  }
}

/** When a batch is over (or the wave ends): gives back every lease it still holds. */
export async function releaseLeases(
  ctx: StepContext,
  step: Step,
  state: WaveLeaseState,
): Promise<void> {
  const key = budgetOf(ctx, step);
  if (!ctx.admission || !key || !state.admission) return;
  for (const [job, held] of Object.entries(state.admission.leases)) {
    await ctx.admission.store.release(key, held.token, ctx.now());
    delete state.admission.leases[job];
  }
  if (state.admission.pending) {
    await ctx.admission.store.release(key, state.admission.pending.token, ctx.now());
    delete state.admission.pending;
  }
}
