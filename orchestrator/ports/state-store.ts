import type { Execution, Gate, JournalEntry, StepRecord } from '../domain/execution.ts';

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
  journal(executionId: string): Promise<JournalEntry[]>;
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
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
}
