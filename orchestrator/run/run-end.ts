import type {} from '../domain/build-report.ts';
import type { Execution } from '../domain/execution.ts';
import type { Report } from '../domain/report.ts';
import type { PlanSource } from '../ports/plan-source.ts';
import type {
  ExecutionStore,
  JournalStore,
  LockStore,
  RunHistoryStore,
} from '../ports/state-store.ts';
import type { JournalWriter } from './journal-writer.ts';

export interface RunEndDeps {
  store: LockStore & ExecutionStore & JournalStore & RunHistoryStore;
  plans: PlanSource;
  journal: JournalWriter;
  now(): number;
  /** Writes the report of a run as of `at`; returns where it went. */
  writeReport(execution: Execution, at: number): Promise<Record<string, string>>;
}

/** The end of a run: its status, its report (an aborted run's is written here), history, lock. */
export class RunEnd {
  constructor(private readonly deps: RunEndDeps) {}

  async finish(
    executionId: string,
    outcome: 'succeeded' | 'aborted',
  ): Promise<{ outcome: string; reportFiles: Record<string, string> }> {
    const { store } = this.deps;
    const execution = await store.getExecution(executionId);
    // A finish run again (its task died in the report write) keeps the first end: the same report.
    const endedAt =
      execution.status === outcome && execution.endedAt !== undefined
        ? execution.endedAt
        : this.deps.now();
    await store.updateExecution(executionId, { status: outcome, endedAt });
    // An aborted run's report is written here (its outcome from the run's status); either way
    // the last journal entry says where the report is, for the notifier's final message.
    const reportFiles =
      outcome === 'aborted'
        ? await this.deps.writeReport(await store.getExecution(executionId), endedAt)
        : (((await store.getSteps(executionId)).get('report')?.progress.files as
            | Record<string, string>
            | undefined) ?? {});
    await this.deps.journal.write(executionId, {
      type: 'execution-finished',
      message: `Run ${outcome}`,
      data: { outcome, reportFiles },
    });
    await this.saveSummary(executionId);
    await store.releaseLock(execution.customerId, executionId);
    return { outcome, reportFiles };
  }

  /** The ended run's figures, for the customer's history (`/dr history`). */
  private async saveSummary(executionId: string): Promise<void> {
    const { store } = this.deps;
    const execution = await store.getExecution(executionId);
    const { plan } = await this.deps.plans.loadPlan(execution.customerId);
    const [journal, steps] = await Promise.all([
      store.journal(executionId),
      store.getSteps(executionId),
    ]);
    // Measuring a run is for its end and for `/dr report`: loaded then, not by every cold start.
    const { buildReport } = await import('../domain/build-report.ts');
    const report = buildReport({
      execution,
      journal,
      steps,
      customerName: plan.customer.name,
      now: this.deps.now(),
    });
    const figures = (m: Report['rto'] | Report['rpo']) => ({
      seconds: m.seconds,
      target: m.target,
      met: m.met,
    });
    await store.saveRunSummary({
      executionId,
      customerId: execution.customerId,
      operation: execution.operation,
      requestedBy: execution.requestedBy,
      startedAt: execution.startedAt,
      ...(execution.endedAt ? { endedAt: execution.endedAt } : {}),
      outcome: report.outcome,
      rto: figures(report.rto),
      rpo: figures(report.rpo),
    });
  }
}
