import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type Logger as BoltLogger, LogLevel as BoltLogLevel } from '@slack/bolt';
import { planConfigOf } from '../orchestrator/adapters/bundled-plans.ts';
import { SfnExecutionStarter } from '../orchestrator/adapters/sfn-executions.ts';
import { LifeboatError } from '../orchestrator/domain/errors.ts';
import type { RegionWideSettings } from '../orchestrator/domain/settings.ts';
import {
  incidentsOnFirstUse,
  wireBotRunControl,
  wireCore,
} from '../orchestrator/handlers/control-wiring.ts';
import type { HandlerEnv } from '../orchestrator/handlers/env.ts';
import { onFirstUse } from '../orchestrator/handlers/first-use.ts';
import type { IncidentControl } from '../orchestrator/ports/incident.ts';
import type { RunControl } from '../orchestrator/ports/run-control.ts';
import { createGroupResolver } from './access.ts';
import { createDisplayNameResolver } from './display-names.ts';
import type { IngressEnv } from './env.ts';
import { type AwsHandler, checkSlackEvent, createBoltHandler } from './ingress.ts';
import {
  answerReportVisit,
  parseReportBuckets,
  REPORT_REDIRECT_SECONDS,
  readReportVisit,
} from './report-redirect.ts';
import { loadSlackSecrets, type SlackSecrets } from './slack-secrets.ts';

/** The ingress Lambda's environment: its own, and the orchestrator's it wires. */
export type IngressLambdaEnv = IngressEnv & HandlerEnv;

/**
 * The ingress Lambda (behind the bot's HTTPS endpoint) of one environment: Slack's slash
 * commands and clicks. It loads only what they need: the state table, the bundled plans, Step
 * Functions' start and task tokens, the notifier's queue and Slack; not the customers' AWS, not
 * the report writer (readiness checks go to the notifier through the queue), and S3's presigner
 * only on a report link's first visit. The wiring (the run control) starts when the function is
 * built, once, and goes on beside the first read of Slack's secrets: a request that comes while
 * it is going waits for the same one. Slack's secrets are read per request from the
 * cache (Secrets Manager is asked again once they are old), and a rotated secret builds the Bolt
 * app anew.
 */
export function createIngressLambda(env: IngressLambdaEnv): AwsHandler {
  const logger = new Logger({
    serviceName: 'lifeboat-ingress',
    logLevel: env.POWERTOOLS_LOG_LEVEL,
  });
  const core = wireCore(env, planConfigOf(env));
  const sqs = env.NOTIFY_QUEUE_URL
    ? new SQSClient({ region: env.AWS_REGION, maxAttempts: 2 })
    : undefined;
  const groupsOf = createGroupResolver();
  const displayNameOf = createDisplayNameResolver();
  const reportBuckets = parseReportBuckets(env.REPORT_BUCKETS);
  // Report links are a browser's visit, not Slack's: S3's presigner is loaded on the first one.
  let signer: Promise<
    (region: string) => { presign(bucket: string, key: string): Promise<string> }
  >;
  const presign = async (region: string, bucket: string, key: string) => {
    signer ??= import('../orchestrator/adapters/s3-report-links.ts').then((m) =>
      m.reportLinksByRegion(REPORT_REDIRECT_SECONDS),
    );
    return (await signer)(region).presign(bucket, key);
  };
  let app: { secrets: SlackSecrets; handler: AwsHandler } | undefined;

  // One starter for both state machines: the runbook's and the incident's.
  const executions = new SfnExecutionStarter(env.STATE_MACHINE_ARN_PATTERN);
  // A failed cold start is tried again by the next request.
  const runControl = onFirstUse(() =>
    Promise.all([wireBotRunControl(core, { executions, logger }), core.config.settings()]).then(
      ([runs, settings]) => ({
        runs,
        incidents: incidentsOnFirstUse(() => core.incidents({ starter: executions, logger })),
        regionWide: settings.regionWide,
      }),
    ),
  );
  // In AWS the wiring makes no call (the plans are bundled, the clock is real): it is done while
  // Lambda initializes the function, before any request where provisioned concurrency is on.
  runControl().catch(() => {}); // a failure is met again, and logged, by the next request

  const build = (secrets: SlackSecrets, wired: Wired): AwsHandler =>
    createBoltHandler({
      signingSecret: secrets.signingSecret,
      logger: asBoltLogger(logger),
      botToken: secrets.botToken,
      teamId: env.SLACK_TEAM_ID,
      ...(env.SLACK_BOT_ID ? { botId: env.SLACK_BOT_ID } : {}),
      ...(env.SLACK_BOT_USER_ID ? { botUserId: env.SLACK_BOT_USER_ID } : {}),
      ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
      deps: {
        runs: wired.runs,
        incidents: wired.incidents,
        ...(wired.regionWide ? { regionWide: wired.regionWide } : {}),
        admins: env.LIFEBOAT_ADMINS,
        groupsOf,
        displayNameOf,
        now: Date.now,
        defer: async (job) => {
          if (!sqs || !env.NOTIFY_QUEUE_URL)
            throw new LifeboatError(
              'Readiness checks are answered by the notifier: set NOTIFY_QUEUE_URL to its queue.',
            );
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: env.NOTIFY_QUEUE_URL,
              MessageBody: JSON.stringify(job),
              MessageGroupId: `readiness-${job.customerId}`,
              MessageDeduplicationId: `${job.customerId}:${job.userId}:${Date.now()}`,
            }),
          );
        },
      },
    }).handler;

  return async (event, context) => {
    if (context?.awsRequestId) logger.addContext(context);
    try {
      // The cold start goes on beside the secret's read; a refused request does not wait for it.
      const wiring = runControl();
      wiring.catch(() => {}); // awaited below, or not needed
      const secrets = await loadSlackSecrets(env);
      // Report links are opened in a browser, not sent by Slack: their own signature guards them.
      const visit = readReportVisit(event);
      if (visit) {
        const answer = await answerReportVisit(visit, {
          secret: secrets.reportLinkKey,
          buckets: reportBuckets,
          presign,
          nowSeconds: () => Math.floor(Date.now() / 1000),
        });
        if (answer.statusCode !== 302)
          logger.warn('a report link was refused', { statusCode: answer.statusCode });
        return answer;
      }
      const checked = checkSlackEvent(event, secrets.signingSecret, Date.now());
      if (!checked.ok) {
        logger.warn('a request was refused before Bolt', {
          statusCode: checked.statusCode,
          why: checked.message,
        });
        return { statusCode: checked.statusCode, body: checked.message };
      }
      const ready = await wiring;
      if (
        app?.secrets.signingSecret !== secrets.signingSecret ||
        app.secrets.botToken !== secrets.botToken
      ) {
        if (app) logger.info("Slack's secrets changed: the app is built with the new ones");
        app = { secrets, handler: build(secrets, ready) };
      }
      return await app.handler(checked.event, context);
    } catch (error) {
      logger.error('the request could not be handled', { error: error as Error });
      throw error;
    }
  };
}

/** What a cold start wires: runs, incidents and the region-wide roles. */
interface Wired {
  runs: RunControl;
  incidents: IncidentControl;
  regionWide: RegionWideSettings | undefined;
}

/**
 * Bolt's receiver writing through the Lambda's logger. Its debug lines are dropped: they hold
 * whole requests, with Slack's verification token and the command's response_url.
 */
function asBoltLogger(logger: Logger): BoltLogger {
  const text = (parts: unknown[]) => parts.map(String).join(' ');
  return {
    debug: () => {},
    info: (...parts) => logger.info(text(parts)),
    warn: (...parts) => logger.warn(text(parts)),
    error: (...parts) => logger.error(text(parts)),
    // The Lambda's logger has its level from the environment; Bolt's setting is not taken.
    setLevel: () => {},
    getLevel: () => BoltLogLevel.INFO,
    setName: () => {},
  };
}
