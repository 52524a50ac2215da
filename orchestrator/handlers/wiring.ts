import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ArcRoutingAdapter } from '../adapters/arc-routing-adapter.ts';
import { servicesForAccount } from '../adapters/aws-services.ts';
import { FilePlanSource, readSettingsFile } from '../adapters/config-files.ts';
import { DynamoDbStateStore } from '../adapters/dynamodb-state-store.ts';
import { FileReportStore } from '../adapters/file-report-store.ts';
import { S3ReportStore } from '../adapters/s3-report-store.ts';
import { SfnTaskTokens } from '../adapters/sfn-task-tokens.ts';
import { SqsRunNotifications } from '../adapters/sqs-notifications.ts';
import type { Plan } from '../domain/plan.ts';
import type { RunbookSettings } from '../domain/settings.ts';
import type { ServicesFor } from '../ports/aws.ts';
import type { ReportStore } from '../ports/report-store.ts';
import type { ExecutionStarter, RunControl } from '../ports/run-control.ts';
import type { TaskTokens } from '../ports/state-store.ts';
import { writeRunReport } from '../report/run-report.ts';
import { Engine } from '../run/engine.ts';
import { LifeboatRunControl } from '../run/run-control.ts';
import type { HandlerEnv } from './env.ts';

/** The orchestrator of one environment: what the task Lambdas and the bot's Lambdas run on. */
export interface Orchestrator {
  /** The engine for one invocation, on this invocation's clock; its warnings go to `logger`. */
  engine(logger?: Logger): Promise<Engine>;
  /** The bot's view of runs, on the same table, plans and clock as the task Lambdas. */
  runControl(parts: {
    executions: ExecutionStarter;
    /** @default Step Functions' SendTaskSuccess */
    tokens?: TaskTokens;
    logger?: Logger;
  }): Promise<RunControl>;
  /** Resumes waiting state machines (the gate sweeper). */
  readonly taskTokens: TaskTokens;
  /** The bot's notices (what it showed in Slack for each run), kept in the state table. */
  readonly notices: Pick<DynamoDbStateStore, 'getNotice' | 'putNotice'>;
}

/**
 * Builds the clients, the state store and the plan source of one environment once (per cold
 * start in AWS, per sandbox locally); the clock is read per invocation.
 */
export function wireOrchestrator(env: HandlerEnv): Orchestrator {
  const store = new DynamoDbStateStore(
    new DynamoDBClient({ region: env.AWS_REGION, maxAttempts: 3 }),
    env.STATE_TABLE,
  );
  const plans = new FilePlanSource(env.PLANS_DIR);
  let settingsRead: Promise<RunbookSettings> | undefined;
  const settings = () => (settingsRead ??= readSettingsFile(env.SETTINGS_FILE));
  const s3 = env.REPORT_BUCKET
    ? new S3Client({ region: env.AWS_REGION, maxAttempts: 3 })
    : undefined;
  const notify = env.NOTIFY_QUEUE_URL
    ? new SqsRunNotifications(
        new SQSClient({ region: env.AWS_REGION, maxAttempts: 3 }),
        env.NOTIFY_QUEUE_URL,
      )
    : undefined;
  const services = new Map<string, ServicesFor>();
  // The cluster is the tooling account's (shared with the workload accounts): Lifeboat's own role.
  const routing = env.LIFEBOAT_ARC_ENDPOINTS
    ? new ArcRoutingAdapter({ endpoints: env.LIFEBOAT_ARC_ENDPOINTS })
    : undefined;
  const taskTokens = new SfnTaskTokens();

  /** The region's report bucket when there is one, else the report folder. */
  const reportStore = (now: () => number): ReportStore => {
    if (!s3 || !env.REPORT_BUCKET) return new FileReportStore(env.REPORT_DIR);
    return new S3ReportStore(s3, env.AWS_REGION, {
      bucket: env.REPORT_BUCKET,
      now,
      ...(env.REPORT_RETAIN_DAYS
        ? { retention: { mode: env.REPORT_LOCK_MODE, days: env.REPORT_RETAIN_DAYS } }
        : {}),
    });
  };

  const engine = async (logger?: Logger): Promise<Engine> => {
    const now = await clock(env);
    const reports = reportStore(now);
    return new Engine({
      store,
      plans,
      settings: await settings(),
      now,
      newId: () => randomUUID(),
      ...(notify ? { notify } : {}),
      ...(routing ? { routing } : {}),
      ...(logger ? { warn: (message: string) => logger.warn(message) } : {}),
      servicesFor: (plan: Plan) => {
        const cached = services.get(plan.customer.id);
        if (cached) return cached;
        const built = servicesForAccount({
          account: plan.account.id,
          roleName: plan.account.roleName,
          externalId: plan.account.externalId,
          sessionName: 'lifeboat',
        });
        services.set(plan.customer.id, built);
        return built;
      },
      writeReport: async (execution) => {
        const { plan } = await plans.loadPlan(execution.customerId);
        return writeRunReport({
          execution,
          store,
          reports,
          customerName: plan.customer.name,
          now: now(),
        });
      },
    });
  };

  return {
    engine,
    taskTokens,
    notices: store,
    runControl: async (parts) =>
      new LifeboatRunControl({
        engine: await engine(parts.logger),
        store,
        plans,
        settings: await settings(),
        executions: parts.executions,
        tokens: parts.tokens ?? taskTokens,
        now: await clock(env),
        nonce: () => randomBytes(2).toString('hex'),
      }),
  };
}

/** Virtual time in the sandbox (the simulators' clock), real time in AWS. */
async function clock(env: HandlerEnv): Promise<() => number> {
  if (!env.LIFEBOAT_CLOCK_URL) return Date.now;
  const { now, speed } = (await (await fetch(env.LIFEBOAT_CLOCK_URL)).json()) as {
    now: string;
    speed: number;
  };
  const base = Date.parse(now);
  const realBase = Date.now();
  return () => Math.floor(base + (Date.now() - realBase) * speed);
}
