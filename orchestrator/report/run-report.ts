import type { Execution } from '../domain/execution.ts';
import { buildReport } from '../domain/report.ts';
import type { StateStore } from '../ports/state-store.ts';
import { writeReport } from './write-report.ts';

/** Builds the report of a run from its journal and steps, and writes JSON, Markdown and HTML. */
export async function writeRunReport(input: {
  execution: Execution;
  store: StateStore;
  customerName: string;
  now: number;
  dir: string;
}): Promise<Record<string, string>> {
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
  return { ...(await writeReport(report, input.dir)) };
}
