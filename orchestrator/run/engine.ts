import type { Execution, Gate, GateDecision, GateKind } from '../domain/execution.ts';
import type { GateOpening } from '../domain/gates.ts';
import type { StartRequest } from '../domain/messages.ts';
import type { Operation } from '../domain/plan.ts';
import type { Region } from '../domain/regions.ts';
import type { PreflightResult } from '../domain/runbook.ts';
import type { RunbookSettings } from '../domain/settings.ts';
import type { AdmissionStore } from '../ports/admission.ts';
import type { RoutingPort, ServicesFor } from '../ports/aws.ts';
import type { LoadedPlan, PlanSource } from '../ports/plan-source.ts';
import type { RunNotifications } from '../ports/run-control.ts';
import type {
  ExecutionStore,
  GateStore,
  JournalStore,
  LockStore,
  RunHistoryStore,
} from '../ports/state-store.ts';
import type { Progress } from '../steps/context.ts';
import { GateKeeper, type ResumableGate } from './gate-keeper.ts';
import { JournalWriter } from './journal-writer.ts';
import { RunEnd } from './run-end.ts';
import { type Next, StepLifecycle } from './step-lifecycle.ts';

export type { ResumableGate } from './gate-keeper.ts';
export type { Next } from './step-lifecycle.ts';

export interface EngineDeps {
  store: LockStore & ExecutionStore & JournalStore & GateStore & RunHistoryStore;
  plans: PlanSource;
  settings: RunbookSettings;
  /** The customer's AWS services, through its workload account's role. */
  servicesFor(plan: LoadedPlan['plan']): ServicesFor;
  /** ARC's routing controls, when the deployment has a cluster. */
  routing?: RoutingPort;
  /** DRS budgets shared across runs (leases per job). @default none: jobs start without leases */
  admission?: AdmissionStore;
  now(): number;
  /**
   * Writes the report of a finished run as of `at` (its generation time); returns where it went.
   * The same run and `at` give the same files, byte for byte: a write run again is no second report.
   */
  writeReport(execution: Execution, at: number): Promise<Record<string, string>>;
  newId(): string;
  /** Wakes the notifier after each journal entry. @default none (the local notifier polls) */
  notify?: RunNotifications;
  /** Where problems that do not fail the run are reported. @default console.warn */
  warn?(message: string): void;
}

/**
 * The run, step by step, as the state machine drives it: the state machine only routes on
 * what these methods return. Three jobs, each in its own module: a step's lifecycle, gates,
 * and the end of a run; the decisions themselves are the domain's.
 */
export class Engine {
  private readonly steps: StepLifecycle;
  private readonly gates: GateKeeper;
  private readonly end: RunEnd;

  constructor(private readonly deps: EngineDeps) {
    const journal = new JournalWriter({
      store: deps.store,
      now: deps.now,
      ...(deps.notify ? { notify: deps.notify } : {}),
      ...(deps.warn ? { warn: deps.warn } : {}),
    });
    this.steps = new StepLifecycle({ ...deps, journal });
    this.gates = new GateKeeper({ ...deps, journal, steps: this.steps });
    this.end = new RunEnd({ ...deps, journal });
  }

  prepare(request: StartRequest & { executionId?: string }): Promise<{ executionId: string }> {
    return this.steps.prepare(request);
  }

  next(executionId: string): Promise<Next> {
    return this.steps.next(executionId);
  }

  startStep(executionId: string, stepId: string): Promise<Progress> {
    return this.steps.startStep(executionId, stepId);
  }

  pollStep(executionId: string, stepId: string): Promise<Progress> {
    return this.steps.pollStep(executionId, stepId);
  }

  failStep(executionId: string, stepId: string, error: string): Promise<Progress> {
    return this.steps.failStep(executionId, stepId, error);
  }

  readiness(customerId: string, operation: Operation): Promise<PreflightResult[]> {
    return this.steps.readiness(customerId, operation);
  }

  openGate(
    executionId: string,
    stepId: string,
    opening: GateOpening,
    taskToken: string,
  ): Promise<Gate> {
    return this.gates.open(executionId, stepId, opening, taskToken);
  }

  answer(
    executionId: string,
    gateId: string,
    answer: { user: string; groups: string[]; decision: GateDecision; note?: string },
  ): Promise<{ decided?: GateDecision; taskToken?: string; gate: Gate }> {
    return this.gates.answer(executionId, gateId, answer);
  }

  requestPause(executionId: string, by: string, byName?: string): Promise<void> {
    return this.gates.requestPause(executionId, by, byName);
  }

  requestAbort(executionId: string, by: string, byName?: string): Promise<ResumableGate[]> {
    return this.gates.requestAbort(executionId, by, byName);
  }

  expireDueGates(region?: Region): Promise<ResumableGate[]> {
    return this.gates.expireDue(region);
  }

  openGatesOf(executionId: string): Promise<Gate[]> {
    return this.deps.store.openGates(executionId);
  }

  applyDecision(
    executionId: string,
    stepId: string,
    kind: GateKind,
    decision: GateDecision | 'expired',
  ): Promise<void> {
    return this.gates.applyDecision(executionId, stepId, kind, decision);
  }

  finish(
    executionId: string,
    outcome: 'succeeded' | 'aborted',
  ): Promise<{ outcome: string; reportFiles: Record<string, string> }> {
    return this.end.finish(executionId, outcome);
  }
}
