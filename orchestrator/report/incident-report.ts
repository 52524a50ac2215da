import { budgetLimits } from '../domain/admission.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { Incident } from '../domain/incident.ts';
import {
  buildIncidentReport,
  type IncidentChildRun,
  type IncidentReport,
} from '../domain/incident-report.ts';
import type { RunbookSettings } from '../domain/settings.ts';
import type { ReportLocations, ReportStore, StoredReportFile } from '../ports/report-store.ts';
import type { ExecutionStore, JournalStore } from '../ports/state-store.ts';
import { renderIncidentHtml } from './render-incident-html.ts';
import { renderIncidentMarkdown } from './render-incident-markdown.ts';

/**
 * Builds the report of an ended incident from its record, its own journal and each child run's
 * execution, journal and steps, and saves its JSON, Markdown and HTML as
 * `incidents/<incidentId>/report.{json,md,html}`. A child run that cannot be found is left out
 * (the report says so) rather than losing the whole report.
 */
export async function writeIncidentReport(input: {
  incident: Incident;
  store: Pick<JournalStore, 'journal'> & Pick<ExecutionStore, 'getExecution' | 'getSteps'>;
  /** The plans' configuration: its settings give the DRS budget the runs shared. */
  plans: {
    settings(): Promise<Pick<RunbookSettings, 'maxConcurrentJobs' | 'maxServersInActiveJobs'>>;
  };
  reports: ReportStore;
  now: number;
  /** The least time the incident could take, when the caller computed it honestly. */
  lowerBound?: { seconds: number; source: string };
}): Promise<ReportLocations> {
  const { incident, store } = input;
  const [settings, journal, children] = await Promise.all([
    input.plans.settings(),
    store.journal(incident.incidentId),
    Promise.all(
      incident.plans.map(async (plan) =>
        plan.executionId
          ? ([plan.customerId, await readRun(store, plan.executionId)] as const)
          : undefined,
      ),
    ),
  ]);
  const runs = new Map<string, IncidentChildRun>();
  for (const child of children) if (child?.[1]) runs.set(child[0], child[1]);
  const report = buildIncidentReport({
    incident,
    runs,
    journal,
    limits: budgetLimits(settings),
    now: input.now,
    ...(input.lowerBound ? { lowerBound: input.lowerBound } : {}),
  });
  return input.reports.saveFiles(
    `incidents/${incident.incidentId}`,
    renderIncidentReportFiles(report),
  );
}

async function readRun(
  store: Pick<JournalStore, 'journal'> & Pick<ExecutionStore, 'getExecution' | 'getSteps'>,
  executionId: string,
): Promise<IncidentChildRun | undefined> {
  try {
    const [execution, journal, steps] = await Promise.all([
      store.getExecution(executionId),
      store.journal(executionId),
      store.getSteps(executionId),
    ]);
    return { execution, journal, steps };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** The incident's report as JSON, Markdown and HTML, each named `report.<extension>`. */
export function renderIncidentReportFiles(report: IncidentReport): StoredReportFile[] {
  return [
    {
      kind: 'json',
      name: 'report.json',
      contentType: 'application/json; charset=utf-8',
      body: `${JSON.stringify(report, null, 2)}\n`,
    },
    {
      kind: 'markdown',
      name: 'report.md',
      contentType: 'text/markdown; charset=utf-8',
      body: renderIncidentMarkdown(report),
    },
    {
      kind: 'html',
      name: 'report.html',
      contentType: 'text/html; charset=utf-8',
      body: renderIncidentHtml(report),
    },
  ];
}
