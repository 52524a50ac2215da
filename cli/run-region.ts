import { join } from 'node:path';
import { FilePlanSource, readSettingsFile } from '../orchestrator/adapters/config-files.ts';
import { buildReport } from '../orchestrator/domain/build-report.ts';
import type { Incident } from '../orchestrator/domain/incident.ts';
import type { JournalEntry } from '../orchestrator/domain/journal.ts';
import { type Region, RegionSchema } from '../orchestrator/domain/regions.ts';
import { FaultSyntaxError } from '../sandbox/aws/faults.ts';
import { LocalAws } from '../sandbox/aws/local-aws.ts';
import { LocalOrchestrator, localStateStore } from '../sandbox/orchestrator.ts';
import { UsageError } from './errors.ts';
import { CUSTOMERS_DIR, DEFAULTS_FILE, type Io, number, ROOT } from './io.ts';
import { firstPerson, followJournal, type RunOptions } from './run.ts';

export interface RegionRun {
  region: Region;
  options: RunOptions;
  /** @default config/customers */
  plansDir?: string;
  /** @default config/defaults.yaml */
  settingsFile?: string;
  onLine(line: string): void;
}

/** One plan's outcome in a local incident, measured from its child run's report. */
export interface RegionPlanSummary {
  customerId: string;
  state: string;
  executionId?: string;
  startedAt?: number;
  endedAt?: number;
  rto: { seconds: number | null; target: number; met: boolean } | undefined;
  rpo: { seconds: number | null; target: number; met: boolean } | undefined;
}

export interface RegionRunResult {
  incident: Incident;
  plans: RegionPlanSummary[];
  /** Stopped, but its ground truth stays readable. */
  aws: LocalAws;
  /** Each plan's child run's journal, by customer (read before the local AWS stopped). */
  journals: Map<string, JournalEntry[]>;
  /** The Step Functions history one run or the incident would have written (limit 25,000 each). */
  historyOf(executionName: string): number;
  reportFiles: Record<string, string>;
}

/**
 * A region-wide failover on the local AWS: every plan whose primary is `region`, with that region
 * down (unless `--fault` says otherwise), requested by the region-wide requester and approved by
 * the first approvers who are not the requester, as `/dr failover region` does in Slack.
 */
export async function runRegionLocally(run: RegionRun): Promise<RegionRunResult> {
  const { options } = run;
  const plansDir = run.plansDir ?? CUSTOMERS_DIR;
  const settingsFile = run.settingsFile ?? DEFAULTS_FILE;
  const settings = await readSettingsFile(settingsFile);
  const regionWide = settings.regionWide;
  if (!regionWide)
    throw new UsageError(
      `${settingsFile} has no regionWide section: add its channel, requesters and approvers.`,
    );
  const requestedBy = options['requested-by'] ?? firstPerson(regionWide.requesters) ?? 'U0LOCAL';
  const plans = await new FilePlanSource(plansDir).loadAll();
  const speed = number('speed', options.speed, 0);
  let aws: LocalAws;
  try {
    aws = new LocalAws({
      plans,
      speed,
      seed: number('seed', options.seed, 1),
      faults: options.fault ?? [`region-down:${run.region}`],
    });
  } catch (error) {
    if (error instanceof FaultSyntaxError) throw new UsageError(error.message);
    throw error;
  }
  await aws.start();
  const onFailure = options['on-failure'] ?? 'continue';
  if (!['retry', 'continue', 'abort'].includes(onFailure))
    throw new UsageError(`--on-failure must be retry, continue or abort, not "${onFailure}".`);
  const orchestrator = new LocalOrchestrator({
    aws,
    plansDir,
    settingsFile,
    reportDir: options['report-dir'] ?? join(ROOT, 'reports'),
    time: speed > 0 ? 'paced' : 'stepped',
    answers: {
      approveAs:
        options['approve-as'] ??
        regionWide.approvers.filter((p) => p !== requestedBy).slice(0, regionWide.approvals),
      signOffAs: options['sign-off-as'] ?? '',
      manualAs: requestedBy,
      onFailure: onFailure as 'retry' | 'continue' | 'abort',
    },
    onEvent: run.onLine,
  });
  try {
    await orchestrator.configure();
    const store = localStateStore(aws);
    const incidents = await orchestrator.wiring.incidents({
      starter: orchestrator,
      tokens: orchestrator,
    });
    const { incidentId } = await incidents.requestRegionFailover({
      region: run.region,
      requestedBy,
      channel: regionWide.channel,
      ...(options.reason ? { reason: options.reason } : {}),
    });
    run.onLine(`Requested ${incidentId}: every plan of ${run.region}`);
    const tail = followJournal(store, incidentId, run.onLine);
    try {
      await orchestrator.settled(incidentId);
    } finally {
      await tail.stop();
    }
    const incident = await incidents.getIncident(incidentId);
    const journals = new Map<string, JournalEntry[]>();
    const summaries: RegionPlanSummary[] = [];
    for (const plan of incident.plans) {
      const id = plan.executionId;
      let report: ReturnType<typeof buildReport> | undefined;
      if (id) {
        await orchestrator.settled(id).catch(() => undefined);
        const [execution, journal, steps] = await Promise.all([
          store.getExecution(id),
          store.journal(id),
          store.getSteps(id),
        ]);
        journals.set(plan.customerId, journal);
        report = buildReport({
          execution,
          journal,
          steps,
          customerName: plan.name,
          now: aws.clock.now(),
        });
      }
      summaries.push({
        customerId: plan.customerId,
        state: plan.state,
        ...(id ? { executionId: id } : {}),
        ...(plan.startedAt ? { startedAt: plan.startedAt } : {}),
        ...(plan.endedAt ? { endedAt: plan.endedAt } : {}),
        rto: report?.rto,
        rpo: report
          ? { seconds: report.rpo.seconds, target: report.rpo.target, met: report.rpo.met }
          : undefined,
      });
    }
    const finished = (await store.journal(incidentId)).find((e) => e.type === 'incident-finished');
    return {
      incident,
      plans: summaries,
      aws,
      journals,
      historyOf: (name) => orchestrator.historyEventsOf(name),
      reportFiles: finished?.type === 'incident-finished' ? finished.data.reportFiles : {},
    };
  } finally {
    await aws.stop();
  }
}

/** `lifeboat run failover --region <region>`: a region-wide failover on the local AWS. */
export async function runRegion(region: string, options: RunOptions, io: Io): Promise<number> {
  const parsed = RegionSchema.safeParse(region);
  if (!parsed.success)
    throw new UsageError(parsed.error.issues[0]?.message ?? `"${region}" is not a region.`);
  const say = (line: string) => (options.json ? io.err(line) : io.out(line));
  const result = await runRegionLocally({ region: parsed.data as Region, options, onLine: say });
  if (options.json) {
    io.out(
      JSON.stringify({
        incidentId: result.incident.incidentId,
        status: result.incident.status,
        plans: result.plans,
        reportFiles: result.reportFiles,
      }),
    );
  } else {
    const figure = (m?: { seconds: number | null; target: number; met: boolean }) =>
      !m || m.seconds === null ? '-' : `${m.seconds}s/${m.target}s ${m.met ? 'met' : 'NOT met'}`;
    io.out(`\n${result.incident.status}: ${result.incident.incidentId}`);
    for (const p of result.plans)
      io.out(
        `  ${p.customerId.padEnd(14)} ${p.state.padEnd(10)} RTO ${figure(p.rto)}  RPO ${figure(p.rpo)}`,
      );
    if (Object.keys(result.reportFiles).length > 0)
      io.out(`Report: ${Object.values(result.reportFiles).join(', ')}`);
  }
  return result.incident.status === 'succeeded' ? 0 : 1;
}
