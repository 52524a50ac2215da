import type { BudgetLimits } from '../domain/admission.ts';
import type { Execution } from '../domain/execution.ts';
import type { JournalData, JournalType } from '../domain/journal.ts';
import type { Step } from '../domain/runbook.ts';
import type { AdmissionStore } from '../ports/admission.ts';
import type { RoutingPort, ServicesFor } from '../ports/aws.ts';

/** What a step executor may use: the run, the AWS services per region, the clock, the journal. */
export interface StepContext {
  execution: Execution;
  services: ServicesFor;
  /** ARC's routing controls (the deployment's cluster); absent where none is configured. */
  routing?: RoutingPort;
  /** The DRS budget the run's jobs share with other runs; absent, jobs start without leases. */
  admission?: StepAdmission;
  now(): number;
  /** Writes an entry of the run's journal for this step; its data is checked against its type's schema. */
  journal<T extends JournalType>(type: T, message: string, data: JournalData<T>): Promise<void>;
  /**
   * Saves the step's state before a call a retry must not repeat blindly (its intent): a task
   * that dies during the call is run again from this state, and asks AWS what the call did.
   */
  checkpoint(state: Record<string, unknown>): Promise<void>;
  /**
   * The same for every run of this attempt of the step (a task run again after a crash), another
   * for the next attempt people ask for: what calls that take a client token send.
   */
  attemptKey: string;
}

/** Marks a state saved by {@link StepContext.checkpoint}: a start run again resumes from it. */
export const CHECKPOINTED = 'checkpointed';

export function isCheckpoint(state: Record<string, unknown> | undefined): boolean {
  return state?.[CHECKPOINTED] === true;
}

/** Where a run's DRS jobs take their leases: the recovery account's budget, at the plan's priority. */
export interface StepAdmission {
  store: AdmissionStore;
  account: string;
  /** 1 first ... 5 last. */
  priority: number;
  limits: BudgetLimits;
}

/** Where a step stands after a start or a poll. `state` is kept between polls. */
export interface Progress {
  status: 'running' | 'done' | 'failed';
  /** How long to wait before the next poll (seconds). */
  waitSeconds: number;
  state: Record<string, unknown>;
  message?: string;
  /** Critical servers that failed: the operators decide (retry, continue without, abort). */
  failedServers?: string[];
}

export interface StepExecutor<S extends Step = Step> {
  start(ctx: StepContext, step: S, previous?: Record<string, unknown>): Promise<Progress>;
  poll(ctx: StepContext, step: S, state: Record<string, unknown>): Promise<Progress>;
}

export const done = (state: Record<string, unknown>, message?: string): Progress => ({
  status: 'done',
  waitSeconds: 0,
  state,
  ...(message ? { message } : {}),
});

export const running = (
  state: Record<string, unknown>,
  waitSeconds: number,
  message?: string,
): Progress => ({
  status: 'running',
  waitSeconds,
  state,
  ...(message ? { message } : {}),
});

export const failed = (
  state: Record<string, unknown>,
  message: string,
  failedServers?: string[],
): Progress => ({
  status: 'failed',
  waitSeconds: 0,
  state,
  message,
  ...(failedServers ? { failedServers } : {}),
});

/** Seconds since a step began, from its kept state. */
export function elapsed(ctx: StepContext, state: Record<string, unknown>): number {
  return (ctx.now() - Number(state.startedAt ?? ctx.now())) / 1000;
}
