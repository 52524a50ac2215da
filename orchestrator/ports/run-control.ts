import type {
  AuditEntry,
  Execution,
  Gate,
  GateDecision,
  RunIndexEntry,
  StepRecord,
} from '../domain/execution.ts';
import type { JournalEntry } from '../domain/journal.ts';
import type { StartRequest } from '../domain/messages.ts';
import type { Operation } from '../domain/plan.ts';
import type { Region } from '../domain/regions.ts';
import type { Report } from '../domain/report.ts';
import type { PreflightResult } from '../domain/runbook.ts';
import type { LoadedPlan } from './plan-source.ts';

/** The customer's plan as it stands. */
export interface PlanLoader {
  /** Throws UnknownCustomerError or PlanValidationError. */
  loadPlan(customerId: string): Promise<LoadedPlan>;
}

/** `/dr drill`, `/dr failover`…: starts a run. */
export interface RunStarter extends PlanLoader {
  /** Takes the customer's lock and starts the state machine; throws OperationInProgressError. */
  start(request: StartRunRequest): Promise<StartedRun>;
}

/** What people tell a run: answers to its gates, pause, resume, abort. */
export interface RunCommands {
  /** One person's answer; when it decides the gate, the waiting run resumes. */
  answer(executionId: string, gateId: string, answer: GateAnswerInput): Promise<GateAnswered>;
  /** Resumes a paused run (answers its pause gate), or withdraws a pause not reached yet. */
  resume(
    executionId: string,
    answer: Omit<GateAnswerInput, 'decision'>,
  ): Promise<'resumed' | 'withdrawn'>;
  /** `byName`: the person's Slack name, journaled beside the id. */
  requestPause(executionId: string, by: string, byName?: string): Promise<void>;
  requestAbort(executionId: string, by: string, byName?: string): Promise<void>;
}

/** What a run did and where it stands. */
export interface RunReader {
  /** Throws NotFoundError for an unknown run. */
  getExecution(executionId: string): Promise<Execution>;
  getSteps(executionId: string): Promise<Map<string, StepRecord>>;
  getGate(executionId: string, gateId: string): Promise<Gate>;
  openGates(executionId: string): Promise<Gate[]>;
  journal(executionId: string, afterSeq?: number): Promise<JournalEntry[]>;
  activeRun(customerId: string): Promise<string | undefined>;
  history(customerId: string, limit: number): Promise<RunIndexEntry[]>;
  /** The run's report, measured from its journal now (final once the run has ended). */
  report(executionId: string): Promise<Report>;
}

/** `/dr readiness`: asks the customer's AWS, so it may take longer than a Slack listener has. */
export interface ReadinessCheck {
  readiness(customerId: string, operation: Operation): Promise<PreflightResult[]>;
}

/** Who did what in Lifeboat, per customer. */
export interface AuditLog {
  audit(customerId: string, entry: AuditEntry): Promise<void>;
  auditLog(customerId: string): Promise<AuditEntry[]>;
}

/**
 * What the bot may do with Lifeboat's runs: start one, answer its gates, pause or abort it, and
 * read what it did. Everything here is quick (state reads and writes, one StartExecution or
 * SendTaskSuccess), except `readiness`, which asks the customer's AWS. Composition roots build
 * it whole; each consumer takes the parts it uses.
 */
export type RunControl = RunStarter & RunCommands & RunReader & ReadinessCheck & AuditLog;

/** A run's start request as the bot makes it: always from a channel, where its messages go. */
export type StartRunRequest = StartRequest & { channel: string };

export interface StartedRun {
  executionId: string;
  /** Where the run executes: the region the operation makes active. */
  region: Region;
  /**
   * The customer's lock was already this run's (an earlier request, its answer lost): nothing
   * new started, the run goes on.
   */
  alreadyRunning?: boolean;
}

export interface GateAnswerInput {
  user: string;
  /** The user's Slack name as the request carried it, journaled beside the id. */
  userName?: string;
  /** The user's user groups among the gate's principals. */
  groups: string[];
  decision: GateDecision;
  note?: string;
}

export interface GateAnswered {
  decided?: GateDecision;
  gate: Gate;
}

/**
 * Starts the runbook state machine with the request as its input (its first state adds the
 * execution name); starting a name that already ran is a no-op.
 */
export interface ExecutionStarter {
  start(region: Region, executionName: string, input: StartRunRequest): Promise<void>;
}

/** Wakes whatever keeps Slack up to date when a run's journal grows. */
export interface RunNotifications {
  changed(executionId: string, seq: number): Promise<void>;
}
