import type {
  AuditEntry,
  Execution,
  Gate,
  JournalEntry,
  RunIndexEntry,
  StepRecord,
} from '../domain/execution.ts';
import type { Region } from '../domain/regions.ts';

/** Lifeboat's state: one table, every region (a global table when deployed). */
export interface StateStore {
  /** One active operation per customer; a lock older than `staleAfterMs` may be taken over. */
  acquireLock(
    customerId: string,
    executionId: string,
    now: number,
    staleAfterMs: number,
  ): Promise<void>;
  releaseLock(customerId: string, executionId: string): Promise<void>;
  /** The run holding the customer's lock, if any. */
  activeRun(customerId: string): Promise<string | undefined>;
  /** The customer's runs, newest first. */
  listRuns(customerId: string, limit: number): Promise<RunIndexEntry[]>;
  /** Records an ended run's figures in the customer's history. */
  saveRunSummary(entry: RunIndexEntry): Promise<void>;
  appendAudit(customerId: string, entry: AuditEntry): Promise<void>;
  auditLog(customerId: string): Promise<AuditEntry[]>;
  /**
   * The bot's record of what it showed in Slack for a run (opaque here), with a version: a
   * write whose `expectedVersion` is no longer current fails with ConcurrentUpdateError.
   */
  getNotice(executionId: string): Promise<{ doc: unknown; version: number } | undefined>;
  putNotice(executionId: string, doc: unknown, expectedVersion: number): Promise<void>;
  createExecution(execution: Execution): Promise<void>;
  getExecution(executionId: string): Promise<Execution>;
  updateExecution(
    executionId: string,
    patch: Partial<
      Pick<Execution, 'status' | 'endedAt' | 'excluded' | 'pauseRequested' | 'abortRequested'>
    >,
  ): Promise<void>;
  getSteps(executionId: string): Promise<Map<string, StepRecord>>;
  getStep(executionId: string, stepId: string): Promise<StepRecord | undefined>;
  putStep(executionId: string, record: StepRecord): Promise<void>;
  append(executionId: string, entry: Omit<JournalEntry, 'seq'>): Promise<JournalEntry>;
  /** The run's journal in order; only the entries after `afterSeq` when given. */
  journal(executionId: string, afterSeq?: number): Promise<JournalEntry[]>;
  putGate(gate: Gate): Promise<void>;
  getGate(executionId: string, gateId: string): Promise<Gate>;
  /** Saves an answered gate only if nobody answered it meanwhile (two clicks give one decision). */
  saveGateAnswer(gate: Gate, answersBefore: number): Promise<void>;
  openGates(executionId: string): Promise<Gate[]>;
  /** Open gates, across every run, whose expiry is before `before` (ms). */
  dueGates(before: number): Promise<{ executionId: string; gateId: string }[]>;
  /** Marks an open gate expired, unless someone answered it meanwhile. */
  expireGate(gate: Gate): Promise<void>;
}

/** What resumes a state machine waiting on a gate's task token. */
export interface TaskTokens {
  /** `region`: where the execution runs (a token is only known there). */
  succeed(region: Region, taskToken: string, output: Record<string, unknown>): Promise<void>;
}
