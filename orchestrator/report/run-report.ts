import { buildReport } from '../domain/build-report.ts';
import type { Execution } from '../domain/execution.ts';
import type { ReportLocations, ReportStore } from '../ports/report-store.ts';
import type { ExecutionStore, JournalStore } from '../ports/state-store.ts';

/** Builds the report of a run from its journal and steps, and saves its JSON, Markdown and HTML. */
export async function writeRunReport(input: {
  execution: Execution;
  store: Pick<JournalStore, 'journal'> & Pick<ExecutionStore, 'getSteps'>;
  reports: ReportStore;
  customerName: string;
  now: number;
}): Promise<ReportLocations> {
  const { execution, store } = input;
  const [journal, steps] = await Promise.all([
    store.journal(execution.executionId),
    store.getSteps(execution.executionId),
  ]);
  const report = buildReport({
    execution,
    journal,
    steps,
    customerName: input.customerName,
    now: input.now,
  });
  return { ...(await input.reports.save(report)) };
}
