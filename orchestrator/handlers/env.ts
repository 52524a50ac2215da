import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogLevel } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { ClusterEndpointsSchema } from '../domain/routing.ts';

/**
 * Every task Lambda's environment, parsed once per cold start by `tasks.ts`, checked at synth
 * time by infra, and given as an object by the local sandbox and the tests.
 */
export const HandlerEnvSchema = z.object({
  STATE_TABLE: z.string().min(1),
  /**
   * The multi-Region strongly consistent table (us-east-1, us-east-2, us-west-2) holding the
   * customers' locks, the gates and the DRS admission leases, reached through the replica
   * nearest AWS_REGION. Unset: they stay on STATE_TABLE (one region, or the local world).
   */
  LOCK_TABLE: z.string().min(1).optional(),
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
  /**
   * The ARC cluster's regional endpoints, as JSON `[{"region": "us-east-1", "url": "https://..."}]`
   * (the deploy writes them from `config/deploy.yaml`; the local AWS from its own). DNS records in
   * `failover` mode are flipped through them. Unset: a plan with such records fails pre-flight.
   */
  LIFEBOAT_ARC_ENDPOINTS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'expected JSON, like [{"region": "us-east-1", "url": "https://..."}]',
        });
        return z.NEVER;
      }
    })
    .pipe(ClusterEndpointsSchema)
    .optional(),
  /**
   * The runbook state machine's ARN with `{region}` where the region goes: the incident's task
   * starts child runs through it. Unset for the runbook's own tasks.
   */
  STATE_MACHINE_ARN_PATTERN: z.string().includes('{region}').optional(),
  /** The notifier's FIFO queue; unset locally, where the notifier reads the journal itself. */
  NOTIFY_QUEUE_URL: z.url().optional(),
  /**
   * The logger's level (the bot's Lambdas read it here too). @default Lambda's log level (the
   * function's logging config), else INFO; the local sandbox sets SILENT.
   */
  POWERTOOLS_LOG_LEVEL: z.string().toUpperCase().pipe(z.enum(LogLevel)).optional(),
});
export type HandlerEnv = z.infer<typeof HandlerEnvSchema>;
