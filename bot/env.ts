import * as z from 'zod';

/**
 * The bot's Lambdas' environments, checked once per cold start and by infra at synth time.
 * Slack's secrets come from Secrets Manager (`SLACK_SECRET_ARN`, a JSON secret with
 * `signingSecret` and `botToken`) when deployed, or straight from the environment locally.
 */
const SlackSecretsEnv = z
  .object({
    SLACK_SECRET_ARN: z.string().startsWith('arn:').optional(),
    SLACK_SIGNING_SECRET: z.string().min(1).optional(),
    SLACK_BOT_TOKEN: z.string().min(1).optional(),
    /** The report-link signing key, locally (in AWS: `reportLinkKey` in the secret). */
    REPORT_LINK_KEY: z.string().min(32).optional(),
  })
  .refine((env) => env.SLACK_SECRET_ARN || (env.SLACK_SIGNING_SECRET && env.SLACK_BOT_TOKEN), {
    error:
      'Set SLACK_SECRET_ARN (a Secrets Manager secret holding {"signingSecret","botToken"}), or SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN.',
  });

const CommonEnv = z.object({
  STATE_TABLE: z.string().min(1),
  /** The strongly consistent table of locks, gates and leases (as the task Lambdas' LOCK_TABLE). */
  LOCK_TABLE: z.string().min(1).optional(),
  PLANS_DIR: z.string().min(1),
  SETTINGS_FILE: z.string().min(1),
  AWS_REGION: z.string().default('us-east-1'),
  /** The one Slack workspace (team id) Lambda answers; requests from any other are refused. */
  SLACK_TEAM_ID: z.string().regex(/^T[A-Z0-9]+$/),
  /** The bot's own ids, so a cold start makes no `auth.test` call. */
  SLACK_BOT_ID: z.string().min(1).optional(),
  SLACK_BOT_USER_ID: z.string().min(1).optional(),
  /** The Web API's base URL; the fake Slack's in the local sandbox. @default Slack's */
  SLACK_API_URL: z.url().optional(),
  /** Queue (FIFO, grouped by run) that wakes the notifier; unset locally, where it is called in-process. */
  NOTIFY_QUEUE_URL: z.url().optional(),
});

export const IngressEnvSchema = CommonEnv.extend({
  /** Lifeboat admins: Slack user ids or user group ids, comma-separated. */
  LIFEBOAT_ADMINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
  /**
   * The runbook state machine's ARN with `{region}` in place of the region: an operation starts
   * in the region it makes active, e.g. `arn:aws:states:{region}:111122223333:stateMachine:lifeboat-runbook`.
   */
  STATE_MACHINE_ARN_PATTERN: z.string().includes('{region}'),
  /**
   * Each region's report bucket, `us-east-1=bucket-a,us-east-2=bucket-b`: report links name a
   * region, and the route presigns a GET in that region's bucket. Unset: no report is served.
   */
  REPORT_BUCKETS: z
    .string()
    .regex(/^[a-z0-9-]+=[a-z0-9.-]+(,[a-z0-9-]+=[a-z0-9.-]+)*$/, 'expected region=bucket,...')
    .optional(),
}).and(SlackSecretsEnv);
export type IngressEnv = z.infer<typeof IngressEnvSchema>;

export const NotifierEnvSchema = CommonEnv.extend({
  /** Where the report files are served from, for the link in the final message. */
  REPORT_BASE_URL: z.url().optional(),
  /**
   * The bot's own URL (`https://<bot domain>`): with `reportLinkKey` in Slack's secret, the final
   * message links reports through its signed report route, for REPORT_RETENTION_DAYS.
   */
  REPORT_LINK_URL: z.url().optional(),
  /** How long reports are kept (config `reports.retentionDays`): how long their links work. */
  REPORT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(2557),
}).and(SlackSecretsEnv);
export type NotifierEnv = z.infer<typeof NotifierEnvSchema>;
