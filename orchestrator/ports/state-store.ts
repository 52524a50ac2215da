import type {
  AuditEntry,
  Execution,
  Gate,
  RunIndexEntry,
  StepRecord,
} from '../domain/execution.ts';
import type { JournalEntry } from '../domain/journal.ts';
import type { Region } from '../domain/regions.ts';

/**
 * Lifeboat's state is one table, every region (a global table when deployed), seen through one
 * port per concern: each consumer depends on the parts it uses, so its fake in a test is small.
 */

/** One active operation per customer. */
export interface LockStore {
  /**
   * Takes the customer's lock (again, when `executionId` holds it already); a lock older than
   * `staleAfterMs` may be taken over. Throws OperationInProgressError.
   */
  acquireLock(
    customerId: string,
    executionId: string,
    now: number,
    staleAfterMs: number,
  ): Promise<void>;
  /** Releases the lock if `executionId` still holds it. */
  releaseLock(customerId: string, executionId: string): Promise<void>;
  /** The run holding the customer's lock, if any. */
  activeRun(customerId: string): Promise<string | undefined>;
}

/** A run's record and the progress of its steps. */
export interface ExecutionStore {
  /** Throws ConcurrentUpdateError when a run with the same id exists. */
  createExecution(execution: Execution): Promise<void>;
  /** Throws NotFoundError for an unknown run. */
  getExecution(executionId: string): Promise<Execution>;
  /** Throws NotFoundError for an unknown run. */
  updateExecution(
    executionId: string,
    patch: Partial<
      Pick<
        Execution,
        | 'status'
        | 'endedAt'
        | 'excluded'
        | 'pauseRequested'
        | 'abortRequested'
        | 'runbook'
        | 'convertedToFailover'
        | 'incidentId'
      >
    >,
  ): Promise<void>;
  getSteps(executionId: string): Promise<Map<string, StepRecord>>;
  getStep(executionId: string, stepId: string): Promise<StepRecord | undefined>;
  putStep(executionId: string, record: StepRecord): Promise<void>;
}

/** What happened in a run, in order. */
export interface JournalStore {
  /** Adds the entries, in order, with the run's next `seq`s. */
  append(executionId: string, ...entries: Omit<JournalEntry, 'seq'>[]): Promise<JournalEntry[]>;
  /** The run's journal in order; only the entries after `afterSeq` when given. */
  journal(executionId: string, afterSeq?: number): Promise<JournalEntry[]>;
}

/** The questions a run waits on: approvals, sign-offs, decisions, pauses. */
export interface GateStore {
  putGate(gate: Gate): Promise<void>;
  /** Throws NotFoundError for an unknown gate. */
  getGate(executionId: string, gateId: string): Promise<Gate>;
  /**
   * Saves an answered gate only if nobody answered it meanwhile (two clicks give one decision):
   * throws ConcurrentUpdateError otherwise.
   */
  saveGateAnswer(gate: Gate, answersBefore: number): Promise<void>;
  openGates(executionId: string): Promise<Gate[]>;
  /** Open gates, across every run, whose expiry is before `before` (ms). */
  dueGates(before: number): Promise<{ executionId: string; gateId: string }[]>;
  /** Marks an open gate expired, unless someone answered it meanwhile. */
  expireGate(gate: Gate): Promise<void>;
}

/** A customer's runs, for `/dr history`. */
export interface RunHistoryStore {
  /** The customer's runs, newest first. */
  listRuns(customerId: string, limit: number): Promise<RunIndexEntry[]>;
  /** Records an ended run's figures in the customer's history. */
  saveRunSummary(entry: RunIndexEntry): Promise<void>;
}

/** Who did what, per customer. */
export interface AuditStore {
  appendAudit(customerId: string, entry: AuditEntry): Promise<void>;
  auditLog(customerId: string): Promise<AuditEntry[]>;
}

/** Every part of the state table: what its adapter implements. */
export type StateStore = LockStore &
  ExecutionStore &
  JournalStore &
  GateStore &
  RunHistoryStore &
  AuditStore;

/** What resumes a state machine waiting on a gate's task token. */
export interface TaskTokens {
  /** `region`: where the execution runs (a token is only known there). */
  succeed(region: Region, taskToken: string, output: Record<string, unknown>): Promise<void>;
}
