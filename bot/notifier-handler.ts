import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { WebClient } from '@slack/web-api';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { planConfigOf } from '../orchestrator/adapters/bundled-plans.ts';
import { slackBudgetStoreFor } from '../orchestrator/adapters/dynamodb-slack-budget-store.ts';
import type { S3ReportLinks } from '../orchestrator/adapters/s3-report-links.ts';
import { LifeboatError } from '../orchestrator/domain/errors.ts';
import { isIncidentId } from '../orchestrator/domain/incident.ts';
import { NotifierMessageSchema } from '../orchestrator/domain/messages.ts';
import {
  type ControlCore,
  wireBotRunControl,
  wireCore,
} from '../orchestrator/handlers/control-wiring.ts';
import type { HandlerEnv } from '../orchestrator/handlers/env.ts';
import { onFirstUse } from '../orchestrator/handlers/first-use.ts';
import type { IncidentControl } from '../orchestrator/ports/incident.ts';
import type { RunControl } from '../orchestrator/ports/run-control.ts';
import type { NotifierEnv } from './env.ts';
import { IncidentNotifier } from './notifier/incident-notifier.ts';
import { Notifier } from './notifier/notifier.ts';
import { answerReadiness, responseUrlPoster } from './notifier/readiness-reply.ts';
import { SharedSlackBudget } from './notifier/shared-slack-budget.ts';
import { lastingReportLinks } from './report-links.ts';
import { loadSlackSecrets, type SlackSecrets } from './slack-secrets.ts';

/** How long a batch waits at most, once shown, for the cards the Slack budget held back. */
const SETTLE_CARDS_MS = 60_000;

/** The notifier Lambda's environment: its own, and the orchestrator's it wires. */
export type NotifierLambdaEnv = NotifierEnv & HandlerEnv;

/** What the incident notifier reads: the incidents, and the DRS budget each account's runs share. */
interface IncidentReading {
  control: IncidentControl;
  limits: { jobs: number; servers: number };
}

/** The notifier was asked to start a run: only the ingress starts runs. */
export class NotifierStartsNoRunsError extends LifeboatError {
  constructor() {
    super(
      'The notifier tried to start a run, which only the ingress does: this is a wiring mistake in the notifier Lambda; start runs with /dr in Slack.',
    );
    this.name = 'NotifierStartsNoRunsError';
  }
}

/**
 * The notifier Lambda of one environment, on a FIFO queue grouped by run. A message that fails
 * is reported back (partial batch response) and comes again, and so does every later message
 * of its group in the batch, so a run's messages stay in order; other groups go on. The journal
 * cursor makes a repeat harmless.
 */
export function createNotifierLambda(
  env: NotifierLambdaEnv,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const logger = new Logger({
    serviceName: 'lifeboat-notifier',
    logLevel: env.POWERTOOLS_LOG_LEVEL,
  });
  // Bundled, the plans came in as data (validated at synth); from source, from their files.
  const config = planConfigOf(env);
  // What every message needs: the state table, the plans, the clock. The customers' AWS (EC2,
  // SSM, Route 53, DRS, Lambda, CloudFormation) is for readiness answers only: wired on the first.
  const core = wireCore(env, config);
  const executions = { start: () => Promise.reject(new NotifierStartsNoRunsError()) };
  let current:
    | { secrets: SlackSecrets; notifier: Notifier; incidentNotifier: IncidentNotifier }
    | undefined;
  // Readiness replies go to Slack's response_url hosts only (and the configured Slack's).
  const respond = responseUrlPoster(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {});

  // Each is wired once; one that fails is tried again by the next batch.
  const runControl = onFirstUse(() => wireBotRunControl(core, { executions, logger }));
  const readinessControl = onFirstUse(() =>
    import('../orchestrator/handlers/wiring.ts').then((wiring) =>
      wiring.wireOrchestrator(env, config, core).runControl({ executions, logger }),
    ),
  );
  // Only read here (the incident card's record): nothing starts or answers.
  const incidentControl = onFirstUse(() =>
    Promise.all([core.incidents({ logger }), config.settings()]).then(
      ([control, settings]): IncidentReading => ({
        control,
        // The budget the runs' waves share per recovery account, as the request card weighs it.
        limits: { jobs: settings.maxConcurrentJobs, servers: settings.maxServersInActiveJobs },
      }),
    ),
  );

  return async (event, context) => {
    if (context?.awsRequestId) logger.addContext(context);
    const [secrets, ready, incidentsReady] = await Promise.all([
      loadSlackSecrets(env),
      runControl(),
      incidentControl(),
    ]);
    if (
      current?.secrets.botToken !== secrets.botToken ||
      current.secrets.reportLinkKey !== secrets.reportLinkKey
    )
      current = {
        secrets,
        ...buildNotifiers(env, secrets, ready, incidentsReady, core, logger),
      };
    const { notifier, incidentNotifier } = current;
    // One sync reads every entry so far: later messages of the same run in this batch add nothing.
    const synced = new Set<string>();
    const handleRecord = async (record: SQSRecord) => {
      let about: Record<string, string> = { messageId: record.messageId };
      try {
        const message = NotifierMessageSchema.parse(JSON.parse(record.body));
        if ('kind' in message) {
          about = { ...about, customerId: message.customerId };
          await answerReadiness(await readinessControl(), message, respond);
        } else if (!synced.has(message.executionId)) {
          about = { ...about, executionId: message.executionId };
          synced.add(message.executionId);
          // An incident's journal wakes the notifier as a run's does, under the incident's id.
          if (isIncidentId(message.executionId)) await incidentNotifier.sync(message.executionId);
          else await notifier.sync(message.executionId);
        }
      } catch (error) {
        const why = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
        logger.error('a notifier message failed; it comes again, after it its group', {
          ...about,
          why: why.slice(0, 500),
        });
        throw error;
      }
    };
    const response = await processPartialResponse(
      event,
      handleRecord,
      new SqsFifoPartialProcessorAsync(),
      { context, skipGroupOnError: true },
    );
    // Cards the shared Slack budget held back go out once the whole batch is shown, so no run's
    // prompt waits behind another run's card; what is still held then waits for its next wake-up.
    const left = context?.getRemainingTimeInMillis?.() ?? SETTLE_CARDS_MS;
    const until = Date.now() + Math.min(SETTLE_CARDS_MS, left - 15_000);
    await Promise.all([
      notifier.settleCards(
        [...synced].filter((id) => !isIncidentId(id)),
        until,
      ),
      incidentNotifier.settleCards([...synced].filter(isIncidentId), until),
    ]);
    return response;
  };
}

function buildNotifiers(
  env: NotifierLambdaEnv,
  secrets: SlackSecrets,
  runs: RunControl,
  incidents: IncidentReading,
  core: ControlCore,
  logger: Logger,
): { notifier: Notifier; incidentNotifier: IncidentNotifier } {
  const client = new WebClient(secrets.botToken, {
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
    retryConfig: { retries: 3 },
    timeout: 10_000,
    // A 429 is waited out by the notifier, through the shared budget: every invocation holds off.
    rejectRateLimitedCalls: true,
  });
  const base = env.REPORT_BASE_URL?.replace(/\/$/, '');
  const lasting =
    env.REPORT_LINK_URL && secrets.reportLinkKey
      ? lastingReportLinks({
          baseUrl: env.REPORT_LINK_URL,
          secret: secrets.reportLinkKey,
          retentionDays: env.REPORT_RETENTION_DAYS,
        })
      : undefined;
  // Without the key the old links still work for hours: better than none, and said once per cold start.
  if (!base && !lasting)
    logger.warn(
      'report links are presigned and die with this session (hours): put reportLinkKey in the Slack secret and set REPORT_LINK_URL for links that last the retention period',
    );
  // Presigned links (the fallback) need S3's presigner: loaded when the first is made.
  let presigner: Promise<(region: string) => S3ReportLinks> | undefined;
  const linksIn = async (region: string) => {
    presigner ??= import('../orchestrator/adapters/s3-report-links.ts').then((m) =>
      m.reportLinksByRegion(),
    );
    return (await presigner)(region);
  };
  const reportLinks = async (region: string, files: Record<string, string>) =>
    base
      ? // A site over the report folder serves a file by its name, over the bucket by its key.
        Object.fromEntries(
          Object.entries(files).map(([kind, path]) => [
            kind,
            `${base}/${/^s3:\/\/[^/]+\/(.+)$/.exec(path)?.[1] ?? path.split('/').pop()}`,
          ]),
        )
      : lasting
        ? lasting({ runbook: { executionRegion: region } }, files)
        : (await linksIn(region)).link(files);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const notifier = new Notifier({
    runs,
    notices: core.store,
    client,
    wallNow: Date.now,
    // Every notifier invocation draws on one Slack write budget, kept in the state table.
    budget: new SharedSlackBudget(slackBudgetStoreFor(env)),
    settle: 'later',
    log: logger,
    sleep,
    reportLinks: (execution, files) => reportLinks(execution.runbook.executionRegion, files),
  });
  // The incident card shares the runs' writer, so one budget holds every card of the batch.
  const incidentNotifier = new IncidentNotifier({
    incidents: incidents.control,
    limits: incidents.limits,
    journal: runs,
    notices: core.store,
    writer: notifier.writer,
    wallNow: Date.now,
    sleep,
    reportLinks: (incident, files) => reportLinks(incident.executionRegion, files),
  });
  return { notifier, incidentNotifier };
}
