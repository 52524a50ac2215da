import type { ReadinessJob } from '../../orchestrator/domain/messages.ts';
import type { PlanLoader, ReadinessCheck } from '../../orchestrator/ports/run-control.ts';
import { preflightText } from '../blocks/request-card.ts';
import { ForeignResponseUrlError, ResponseUrlError } from '../errors.ts';
import { formatFailure, redactForSlack } from '../sanitize.ts';
import { escapeSlackText } from '../slack-text.ts';

/**
 * `/dr readiness`, after the answer: runs the pre-flight checks against the customer's AWS now
 * and replies privately through the command's `response_url`. Errors and check details are
 * sanitized as in channels (no ARNs or account ids); the logs keep the full text.
 */
export async function answerReadiness(
  runs: ReadinessCheck & PlanLoader,
  job: ReadinessJob,
  respond: (url: string, body: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  let text: string;
  try {
    const { plan } = await runs.loadPlan(job.customerId);
    const results = await runs.readiness(job.customerId, job.operation);
    const blocking = results.filter((r) => !r.ok && !r.advisory).length;
    text = `*Readiness of ${escapeSlackText(plan.customer.name)}* (\`${plan.customer.id}\`) for a ${job.operation}: ${
      blocking === 0 ? 'ready ✅' : `${blocking} blocking problem${blocking === 1 ? '' : 's'} ❌`
    }\n${redactForSlack(preflightText(results))}`;
  } catch (error) {
    const { name, message } = error as Error;
    text = `The readiness check of \`${job.customerId}\` could not run: ${escapeSlackText(formatFailure(message, name))}`;
  }
  await respond(job.responseUrl, { response_type: 'ephemeral', replace_original: false, text });
}

/** The hosts of Slack's `response_url`s: the commercial and the GovSlack workspaces'. */
export const SLACK_RESPONSE_HOSTS: readonly string[] = ['hooks.slack.com', 'hooks.slack-gov.com'];

export interface ResponseUrlPosterOptions {
  /**
   * A Slack Web API other than Slack's own (the local world's fake Slack, which serves its
   * `response_url`s on the same origin): its origin is accepted too, over HTTP or HTTPS.
   * @default none: only `https://` on Slack's hosts
   */
  slackApiUrl?: string;
}

/** Whether a URL is one of Slack's `response_url`s (or the configured Slack's). */
export function isSlackResponseUrl(url: string, options: ResponseUrlPosterOptions = {}): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (options.slackApiUrl && parsed.origin === new URL(options.slackApiUrl).origin) return true;
  return (
    parsed.protocol === 'https:' &&
    parsed.port === '' &&
    parsed.username === '' &&
    SLACK_RESPONSE_HOSTS.includes(parsed.hostname)
  );
}

/**
 * POSTs to a Slack `response_url`, and to nothing else: a URL on another host is refused with
 * `ForeignResponseUrlError` before any request, and a redirect is not followed.
 */
export function responseUrlPoster(options: ResponseUrlPosterOptions = {}) {
  const allowed = [
    ...SLACK_RESPONSE_HOSTS,
    ...(options.slackApiUrl ? [new URL(options.slackApiUrl).host] : []),
  ];
  return async (url: string, body: Record<string, unknown>): Promise<void> => {
    if (!isSlackResponseUrl(url, options)) throw new ForeignResponseUrlError(hostOf(url), allowed);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new ResponseUrlError(response.status, response.statusText);
  };
}

/** POSTs to a `response_url` on Slack's own hosts. */
export const postToResponseUrl = responseUrlPoster();

/** The host only: the rest of a response_url is a credential to answer the command. */
function hostOf(url: string): string {
  try {
    return new URL(url).host || 'an address without a host';
  } catch {
    return 'an address that is not a URL';
  }
}
