import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FilePlanSource } from '../orchestrator/adapters/config-files.ts';
import type { DynamoDbStateStore } from '../orchestrator/adapters/dynamodb-state-store.ts';
import type { JournalEntry } from '../orchestrator/domain/journal.ts';
import { type Operation, OperationSchema, type Plan } from '../orchestrator/domain/plan.ts';
import { planRunbook } from '../orchestrator/domain/plan-runbook.ts';
import type { Report } from '../orchestrator/domain/report.ts';
import { FaultSyntaxError } from '../sandbox/aws/faults.ts';
import { LocalAws } from '../sandbox/aws/local-aws.ts';
import { type GateAnswers, LocalOrchestrator, localStateStore } from '../sandbox/orchestrator.ts';
import { ReportMissingError, UsageError } from './errors.ts';
import { CUSTOMERS_DIR, DEFAULTS_FILE, type Io, number, ROOT } from './io.ts';

export interface RunOptions {
  speed?: string;
  seed?: string;
  fault?: string[];
  'approve-as'?: string[];
  'sign-off-as'?: string;
  'requested-by'?: string;
  'on-failure'?: string;
  since?: string;
  reason?: string;
  'report-dir'?: string;
  json?: boolean;
}

/** Who asks for a local run: the first of `principals` who is a person (a user group starts with S). */
export function firstPerson(principals: readonly string[]): string | undefined {
  return principals.find((p) => !p.startsWith('S'));
}

/** Defaults: the requester is the plan's first requester; approvers are the first approvers who are not the requester. */
export function defaultAnswers(
  plan: Plan,
  operation: ReturnType<typeof OperationSchema.parse>,
  requestedBy: string,
  options: RunOptions,
): GateAnswers {
  const required = plan.access.approvals[planRunbook(plan, operation).operation];
  const approvers = plan.access.approvers.filter((p) => p !== requestedBy);
  const onFailure = options['on-failure'] ?? 'abort';
  if (!['retry', 'continue', 'abort'].includes(onFailure))
    throw new UsageError(`--on-failure must be retry, continue or abort, not "${onFailure}".`);
  return {
    approveAs: options['approve-as'] ?? approvers.slice(0, required),
    signOffAs: options['sign-off-as'] ?? plan.access.signOff[0] ?? '',
    manualAs: requestedBy,
    onFailure: onFailure as GateAnswers['onFailure'],
  };
}

/** `lifeboat run <operation> <customer>`: the real state machine and handlers on the local AWS. */
export async function runOperation(args: string[], options: RunOptions, io: Io): Promise<number> {
  const [operationText, customerId, ...extra] = args;
  const operation = OperationSchema.safeParse(operationText);
  if (!operation.success || !customerId || extra.length > 0) {
    throw new UsageError(
      `lifeboat run takes an operation (${OperationSchema.options.join(', ')}) and a customer, like: lifeboat run drill bcbsaz`,
    );
  }
  const since = options.since ? Date.parse(options.since) : undefined;
  if (options.since && Number.isNaN(since))
    throw new UsageError(
      `--since must be a time like 2026-11-22T03:00:00Z, not "${options.since}".`,
    );
  const say = (line: string) => (options.json ? io.err(line) : io.out(line));
  const { summary } = await runLocally({
    customerId,
    operation: operation.data,
    options,
    ...(since ? { since } : {}),
    onLine: say,
  });
  if (options.json) io.out(JSON.stringify(summary));
  else
    io.out(
      `\n${summary.outcome}: RTO ${summary.rto.seconds ?? '-'}s (target ${summary.rto.target}s, ${summary.rto.met ? 'met' : 'NOT met'}), RPO ${summary.rpo.seconds ?? '-'}s (target ${summary.rpo.target}s, ${summary.rpo.met ? 'met' : 'NOT met'})\nReport: ${Object.values(summary.reportFiles).join(', ')}`,
    );
  return String(summary.outcome).startsWith('succeeded') ? 0 : 1;
}

export interface LocalRun {
  customerId: string;
  operation: Operation;
  options: RunOptions;
  since?: number;
  /** Where plans come from. @default config/customers */
  plansDir?: string;
  /** The runbook defaults. @default config/defaults.yaml */
  settingsFile?: string;
  onLine(line: string): void;
}

/** Runs one operation on a fresh local AWS; returns the summary and the (stopped) local AWS, whose ground truth stays readable. */
export async function runLocally(run: LocalRun): Promise<LocalRunResult> {
  const { options } = run;
  const source = new FilePlanSource(run.plansDir ?? CUSTOMERS_DIR);
  const { plan } = await source.loadPlan(run.customerId);
  const plans = await source.loadAll();
  const requestedBy =
    options['requested-by'] ??
    firstPerson(plan.access.requesters) ??
    plan.access.requesters[0] ??
    'U0LOCAL';
  const answers = defaultAnswers(plan, run.operation, requestedBy, options);
  // 0 (the default) runs stepped: waits cost nothing. A paced clock at 0 would never move.
  const speed = number('speed', options.speed, 0);
  let aws: LocalAws;
  try {
    aws = new LocalAws({
      plans,
      speed,
      seed: number('seed', options.seed, 1),
      faults: options.fault ?? [],
    });
  } catch (error) {
    if (error instanceof FaultSyntaxError) throw new UsageError(error.message);
    throw error;
  }
  await aws.start();
  const reportDir = options['report-dir'] ?? join(ROOT, 'reports');
  const orchestrator = new LocalOrchestrator({
    aws,
    plansDir: run.plansDir ?? CUSTOMERS_DIR,
    settingsFile: run.settingsFile ?? DEFAULTS_FILE,
    reportDir,
    time: speed > 0 ? 'paced' : 'stepped',
    answers,
    onEvent: run.onLine,
  });
  const executionId = `${run.operation}-${run.customerId}-${aws.clock.now()}`;
  const store = localStateStore(aws);
  const tail = followJournal(store, executionId, run.onLine);
  try {
    const final = (await orchestrator.run({
      customerId: run.customerId,
      operation: run.operation,
      requestedBy,
      executionName: executionId,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(run.since ? { disruptionAt: run.since } : {}),
    })) as { result?: { reportFiles?: Record<string, string> } };
    await tail.stop();
    return {
      summary: await summarize(store, executionId, final.result?.reportFiles ?? {}),
      aws,
      executionId,
      journal: await store.journal(executionId),
      historyEvents: orchestrator.historyEventCount(),
    };
  } finally {
    await tail.stop();
    await aws.stop();
  }
}

/** Prints a run's (or an incident's) journal as it grows, each entry once, until stopped. */
export function followJournal(
  store: Pick<DynamoDbStateStore, 'journal'>,
  id: string,
  onLine: (line: string) => void,
): { stop(): Promise<void> } {
  let seen = 0;
  const follow = async () => {
    const entries = await store.journal(id).catch(() => []);
    for (const entry of entries.slice(seen))
      onLine(`${new Date(entry.at).toISOString().slice(11, 19)}  ${entry.message}`);
    seen = Math.max(seen, entries.length);
  };
  const tail = setInterval(() => void follow(), 200);
  let stopped: Promise<void> | undefined;
  return {
    stop: () => {
      clearInterval(tail);
      stopped ??= follow();
      return stopped;
    },
  };
}

export type RunSummary = Awaited<ReturnType<typeof summarize>>;

export interface LocalRunResult {
  summary: RunSummary;
  /** Stopped, but its ground truth stays readable. */
  aws: LocalAws;
  executionId: string;
  journal: JournalEntry[];
  /** What the run would have written to a Standard workflow's history (the limit is 25,000). */
  historyEvents: number;
}

/** The `--json` line: the report's figures and where its files are. */
async function summarize(
  store: DynamoDbStateStore,
  executionId: string,
  reportFiles: Record<string, string>,
) {
  const execution = await store.getExecution(executionId);
  const jsonFile = reportFiles.json;
  if (!jsonFile) throw new ReportMissingError(executionId, execution.status);
  const report = JSON.parse(await readFile(jsonFile, 'utf8')) as Report;
  return {
    executionId,
    outcome: report.outcome,
    disruption: report.disruption,
    rto: report.rto,
    rpo: report.rpo,
    waves: report.waves,
    markers: report.timeline.markers,
    reportFiles,
  };
}
