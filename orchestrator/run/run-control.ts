import {
  GateAnswerError,
  NotFoundError,
  NotPausedError,
  OperationInProgressError,
} from '../domain/errors.ts';
import type { AuditEntry, RunIndexEntry } from '../domain/execution.ts';
import type { Operation } from '../domain/plan.ts';
import { planRunbook } from '../domain/plan-runbook.ts';
import type { Report } from '../domain/report.ts';
import { LOCK_STALE_MS, type RunbookSettings } from '../domain/settings.ts';
import type { PlanSource } from '../ports/plan-source.ts';
import type {
  ExecutionStarter,
  GateAnswered,
  GateAnswerInput,
  RunControl,
  StartedRun,
  StartRunRequest,
} from '../ports/run-control.ts';
import type {
  AuditStore,
  ExecutionStore,
  GateStore,
  JournalStore,
  LockStore,
  RunHistoryStore,
  TaskTokens,
} from '../ports/state-store.ts';
import type { Engine } from './engine.ts';

export interface RunControlDeps {
  engine: Pick<Engine, 'answer' | 'requestPause' | 'requestAbort' | 'readiness'>;
  store: LockStore &
    Pick<ExecutionStore, 'getExecution' | 'getSteps' | 'updateExecution'> &
    Pick<GateStore, 'getGate' | 'openGates'> &
    Pick<JournalStore, 'journal'> &
    Pick<RunHistoryStore, 'listRuns'> &
    AuditStore;
  plans: PlanSource;
  settings: RunbookSettings;
  executions: ExecutionStarter;
  tokens: TaskTokens;
  now(): number;
  /** A few random characters that make an execution name unique. */
  nonce(): string;
}

/** The bot's side of the orchestrator: the engine's decisions, the store's records, the state machine's start. */
export class LifeboatRunControl implements RunControl {
  constructor(private readonly deps: RunControlDeps) {}

  loadPlan(customerId: string) {
    return this.deps.plans.loadPlan(customerId);
  }

  async start(request: StartRunRequest): Promise<StartedRun> {
    const { plan } = await this.deps.plans.loadPlan(request.customerId);
    const runbook = planRunbook(plan, request.operation, this.deps.settings);
    const executionId = executionName(
      request.operation,
      plan.customer.id,
      this.deps.now(),
      this.deps.nonce(),
    );
    // The lock is the one conditional write: a second request while a run holds it is refused here.
    try {
      await this.deps.store.acquireLock(
        plan.customer.id,
        executionId,
        this.deps.now(),
        LOCK_STALE_MS,
      );
    } catch (error) {
      if (!(error instanceof OperationInProgressError)) throw error;
      const holder = await this.unstarted(plan.customer.id);
      if (!holder) throw error;
      // A start that died between the lock and StartExecution: this request starts the run that
      // holds the lock. A name already started is no second run (the name is the idempotency key).
      await this.deps.executions.start(runbook.executionRegion, holder, {
        ...request,
        customerId: plan.customer.id,
      });
      return { executionId: holder, region: runbook.executionRegion, alreadyRunning: true };
    }
    try {
      await this.deps.executions.start(runbook.executionRegion, executionId, {
        ...request,
        customerId: plan.customer.id,
      });
    } catch (error) {
      await this.deps.store.releaseLock(plan.customer.id, executionId);
      throw error;
    }
    return { executionId, region: runbook.executionRegion };
  }

  /** The run holding the customer's lock when it has no record yet: its start may have died. */
  private async unstarted(customerId: string): Promise<string | undefined> {
    const holder = await this.deps.store.activeRun(customerId);
    if (!holder) return undefined;
    try {
      await this.deps.store.getExecution(holder);
      return undefined;
    } catch (error) {
      if (error instanceof NotFoundError) return holder;
      throw error;
    }
  }

  async answer(
    executionId: string,
    gateId: string,
    answer: GateAnswerInput,
  ): Promise<GateAnswered> {
    let result: Awaited<ReturnType<RunControlDeps['engine']['answer']>>;
    try {
      result = await this.deps.engine.answer(executionId, gateId, answer);
    } catch (error) {
      // The answer that closed the gate may have died before resuming the run: any later click
      // resumes it again (a token already used is no error), then hears the gate was decided.
      if (error instanceof GateAnswerError) await this.resumeClosed(executionId, gateId);
      throw error;
    }
    if (result.decided && result.taskToken) {
      const { runbook } = await this.deps.store.getExecution(executionId);
      await this.deps.tokens.succeed(runbook.executionRegion, result.taskToken, {
        kind: result.gate.kind,
        decision: result.decided,
      });
    }
    return { gate: result.gate, ...(result.decided ? { decided: result.decided } : {}) };
  }

  private async resumeClosed(executionId: string, gateId: string): Promise<void> {
    const gate = await this.deps.store.getGate(executionId, gateId);
    const closing = gate.answers.at(-1);
    if (gate.status !== 'closed' || !closing) return;
    const { runbook } = await this.deps.store.getExecution(executionId);
    await this.deps.tokens.succeed(runbook.executionRegion, gate.taskToken, {
      kind: gate.kind,
      decision: closing.decision,
    });
  }

  async resume(
    executionId: string,
    answer: Omit<GateAnswerInput, 'decision'>,
  ): Promise<'resumed' | 'withdrawn'> {
    const pause = (await this.deps.store.openGates(executionId)).find((g) => g.kind === 'pause');
    if (pause) {
      await this.answer(executionId, pause.gateId, { ...answer, decision: 'resume' });
      return 'resumed';
    }
    const execution = await this.deps.store.getExecution(executionId);
    if (!execution.pauseRequested) throw new NotPausedError(executionId);
    // Not paused yet: the request is taken back before the run reaches the next step.
    await this.deps.store.updateExecution(executionId, { pauseRequested: false });
    return 'withdrawn';
  }

  requestPause(executionId: string, by: string, byName?: string) {
    return this.deps.engine.requestPause(executionId, by, byName);
  }

  async requestAbort(executionId: string, by: string, byName?: string): Promise<void> {
    for (const gate of await this.deps.engine.requestAbort(executionId, by, byName))
      await this.deps.tokens.succeed(gate.region, gate.taskToken, {
        kind: gate.kind,
        decision: 'abort',
      });
  }

  getExecution(executionId: string) {
    return this.deps.store.getExecution(executionId);
  }

  getSteps(executionId: string) {
    return this.deps.store.getSteps(executionId);
  }

  getGate(executionId: string, gateId: string) {
    return this.deps.store.getGate(executionId, gateId);
  }

  openGates(executionId: string) {
    return this.deps.store.openGates(executionId);
  }

  journal(executionId: string, afterSeq?: number) {
    return this.deps.store.journal(executionId, afterSeq);
  }

  activeRun(customerId: string) {
    return this.deps.store.activeRun(customerId);
  }

  history(customerId: string, limit: number): Promise<RunIndexEntry[]> {
    return this.deps.store.listRuns(customerId, limit);
  }

  async report(executionId: string): Promise<Report> {
    const execution = await this.deps.store.getExecution(executionId);
    const [{ plan }, journal, steps] = await Promise.all([
      this.deps.plans.loadPlan(execution.customerId),
      this.deps.store.journal(executionId),
      this.deps.store.getSteps(executionId),
    ]);
    // Measuring a run is for its end and for `/dr report`: loaded then, not by every cold start.
    const { buildReport } = await import('../domain/build-report.ts');
    return buildReport({
      execution,
      journal,
      steps,
      customerName: plan.customer.name,
      now: this.deps.now(),
    });
  }

  readiness(customerId: string, operation: Operation) {
    return this.deps.engine.readiness(customerId, operation);
  }

  audit(customerId: string, entry: AuditEntry) {
    return this.deps.store.appendAudit(customerId, entry);
  }

  auditLog(customerId: string) {
    return this.deps.store.auditLog(customerId);
  }
}

/**
 * A Step Functions execution name (at most 80 of `[A-Za-z0-9_-]`) that people can read and
 * type: `drill-bcbsaz-20261122-031500-k3f9`.
 */
export function executionName(
  operation: Operation,
  customerId: string,
  at: number,
  nonce: string,
): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${operation}-${customerId}-${stamp}-${nonce}`.slice(0, 80);
}
