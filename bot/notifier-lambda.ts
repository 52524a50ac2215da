import { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { reportLinksByRegion } from '../orchestrator/adapters/s3-report-links.ts';
import { OperationSchema } from '../orchestrator/domain/plan.ts';
import { runControl } from '../orchestrator/handlers/wiring.ts';
import type { RunControl } from '../orchestrator/ports/run-control.ts';
import { NotifierEnvSchema } from './env.ts';
import { Notifier } from './notifier/notifier.ts';
import { answerReadiness, postToResponseUrl } from './notifier/readiness-reply.ts';
import { loadSlackSecrets } from './slack-secrets.ts';

/** What the notifier's queue carries: a run whose journal grew, or a readiness check to answer. */
export const NotifierMessageSchema = z.union([
  z.object({ executionId: z.string().min(1) }),
  z.object({
    kind: z.literal('readiness'),
    customerId: z.string(),
    operation: OperationSchema,
    responseUrl: z.url(),
    userId: z.string(),
  }),
]);

interface SqsEvent {
  Records: { messageId: string; body: string }[];
}

let ready: Promise<{ notifier: Notifier; runs: RunControl }> | undefined;

/**
 * The notifier Lambda, on a FIFO queue grouped by run. A message that fails is reported back
 * (partial batch response) and comes again; the journal cursor makes a repeat harmless.
 */
export async function handler(
  event: SqsEvent,
  _context: unknown,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  ready ??= build().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  const { notifier, runs } = await ready;
  const failures: { itemIdentifier: string }[] = [];
  const synced = new Set<string>();
  for (const record of event.Records) {
    try {
      const message = NotifierMessageSchema.parse(JSON.parse(record.body));
      if ('kind' in message) await answerReadiness(runs, message, postToResponseUrl);
      else if (!synced.has(message.executionId)) {
        // One sync reads every entry so far: later messages of the same run in this batch add nothing.
        synced.add(message.executionId);
        await notifier.sync(message.executionId);
      }
    } catch (error) {
      const why = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
      console.error(`Notifier message ${record.messageId} failed: ${why.slice(0, 500)}`);
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

async function build() {
  const env = NotifierEnvSchema.parse(process.env);
  const secrets = await loadSlackSecrets(env);
  const runs = await runControl({
    executions: {
      start: () => Promise.reject(new Error('The notifier starts no runs')),
    },
  });
  const client = new WebClient(secrets.botToken, {
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
    retryConfig: { retries: 3 },
    timeout: 10_000,
  });
  const base = env.REPORT_BASE_URL?.replace(/\/$/, '');
  // Without a site serving the reports, reports in S3 are shared as presigned links.
  const linksIn = reportLinksByRegion();
  const notifier = new Notifier({
    runs,
    client,
    wallNow: Date.now,
    settle: 'wait',
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    reportLinks: (execution, files) =>
      base
        ? // A site over the report folder serves a file by its name, over the bucket by its key.
          Object.fromEntries(
            Object.entries(files).map(([kind, path]) => [
              kind,
              `${base}/${/^s3:\/\/[^/]+\/(.+)$/.exec(path)?.[1] ?? path.split('/').pop()}`,
            ]),
          )
        : linksIn(execution.runbook.executionRegion).link(files),
  });
  return { notifier, runs };
}
