import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { servicesForAccount } from '../adapters/aws-services.ts';
import { FilePlanSource, readSettingsFile } from '../adapters/config-files.ts';
import { DynamoDbStateStore } from '../adapters/dynamodb-state-store.ts';
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
import { writeReport } from '../report/write-report.ts';
import { Engine } from '../run/engine.ts';
import { LifeboatRunControl } from '../run/run-control.ts';

/** Every task Lambda's environment, checked once per cold start (and at synth time by infra). */
export const HandlerEnvSchema = z.object({
  STATE_TABLE: z.string().min(1),
  PLANS_DIR: z.string().min(1),
  SETTINGS_FILE: z.string().min(1),
  /** Where report files are written when there is no REPORT_BUCKET. @default a folder in the OS temp dir */
  REPORT_DIR: z.string().min(1).default(join(tmpdir(), 'lifeboat-reports')),
  /** The region's report bucket: when set, reports go there (`s3://` locations), not to REPORT_DIR. */
  REPORT_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name')
    .optional(),
  /**
   * Locks each report version this many days from its write, beyond the bucket's default
   * retention (needs `s3:PutObjectRetention`). Unset: the bucket's default retention alone.
   */
  REPORT_RETAIN_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  /** The lock mode of REPORT_RETAIN_DAYS. */
  REPORT_LOCK_MODE: z.enum(['governance', 'compliance']).default('governance'),
  /** Where virtual time comes from in the local sandbox; unset in AWS, where time is real. */
  LIFEBOAT_CLOCK_URL: z.url().optional(),
  AWS_REGION: z.string().default('us-east-1'),
  /** The notifier's FIFO queue; unset locally, where the notifier reads the journal itself. */
  NOTIFY_QUEUE_URL: z.url().optional(),
});
export type HandlerEnv = z.infer<typeof HandlerEnvSchema>;

interface Wired {
  key: string;
  env: HandlerEnv;
  settings: Promise<RunbookSettings>;
  store: DynamoDbStateStore;
  plans: FilePlanSource;
  services: Map<string, ServicesFor>;
  notify?: SqsRunNotifications;
  s3?: S3Client;
}

let wired: Wired | undefined;

/** Built once per cold start; in one local process, again when the environment points elsewhere. */
function wire(): Wired {
  const key = JSON.stringify(
    Object.entries(process.env)
      .filter(([k]) => k.startsWith('AWS_ENDPOINT_URL') || k in HandlerEnvSchema.shape)
      .sort(),
  );
  if (wired?.key === key) return wired;
  const env = HandlerEnvSchema.parse(process.env);
  const store = new DynamoDbStateStore(
    new DynamoDBClient({ region: env.AWS_REGION, maxAttempts: 3 }),
    env.STATE_TABLE,
  );
  wired = {
    key,
    env,
    store,
    plans: new FilePlanSource(env.PLANS_DIR),
    services: new Map(),
    settings: readSettingsFile(env.SETTINGS_FILE),
    ...(env.REPORT_BUCKET ? { s3: new S3Client({ region: env.AWS_REGION, maxAttempts: 3 }) } : {}),
    ...(env.NOTIFY_QUEUE_URL
      ? {
          notify: new SqsRunNotifications(
            new SQSClient({ region: env.AWS_REGION, maxAttempts: 3 }),
            env.NOTIFY_QUEUE_URL,
          ),
        }
      : {}),
  };
  return wired;
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

/** The region's report bucket when there is one, else the report folder. */
function reportStore(w: Wired, now: () => number): ReportStore {
  const { env } = w;
  if (!w.s3 || !env.REPORT_BUCKET) return { save: (report) => writeReport(report, env.REPORT_DIR) };
  return new S3ReportStore(w.s3, env.AWS_REGION, {
    bucket: env.REPORT_BUCKET,
    now,
    ...(env.REPORT_RETAIN_DAYS
      ? { retention: { mode: env.REPORT_LOCK_MODE, days: env.REPORT_RETAIN_DAYS } }
      : {}),
  });
}

/** The engine for one invocation: clients and tables are built once per cold start. */
export async function engine(): Promise<Engine> {
  const w = wire();
  const now = await clock(w.env);
  const settings = await w.settings;
  const reports = reportStore(w, now);
  return new Engine({
    store: w.store,
    plans: w.plans,
    settings,
    now,
    newId: () => randomUUID(),
    ...(w.notify ? { notify: w.notify } : {}),
    servicesFor: (plan: Plan) => {
      const cached = w.services.get(plan.customer.id);
      if (cached) return cached;
      const services = servicesForAccount({
        account: plan.account.id,
        roleName: plan.account.roleName,
        externalId: plan.account.externalId,
        sessionName: 'lifeboat',
      });
      w.services.set(plan.customer.id, services);
      return services;
    },
    writeReport: async (execution) => {
      const { plan } = await w.plans.loadPlan(execution.customerId);
      return writeRunReport({
        execution,
        store: w.store,
        reports,
        customerName: plan.customer.name,
        now: now(),
      });
    },
  });
}

let tokens: SfnTaskTokens | undefined;

/** Resumes waiting state machines (the gate sweeper; the bot has its own). */
export function taskTokens(): SfnTaskTokens {
  tokens ??= new SfnTaskTokens();
  return tokens;
}

/** The bot's view of runs, on the same table, plans and clock as the task Lambdas. */
export async function runControl(parts: {
  executions: ExecutionStarter;
  /** @default Step Functions' SendTaskSuccess */
  tokens?: TaskTokens;
}): Promise<RunControl> {
  const w = wire();
  return new LifeboatRunControl({
    engine: await engine(),
    store: w.store,
    plans: w.plans,
    settings: await w.settings,
    executions: parts.executions,
    tokens: parts.tokens ?? taskTokens(),
    now: await clock(w.env),
    nonce: () => randomBytes(2).toString('hex'),
  });
}
