import type { ReadinessJob } from '../../orchestrator/domain/messages.ts';
import type { PlanLoader, ReadinessCheck } from '../../orchestrator/ports/run-control.ts';
import { preflightText } from '../blocks/request-card.ts';
import { ResponseUrlError } from '../errors.ts';
import { escapeSlackText } from '../slack-text.ts';

/**
 * `/dr readiness`, after the answer: runs the pre-flight checks against the customer's AWS now
 * and replies privately through the command's `response_url`.
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
    }\n${preflightText(results)}`;
  } catch (error) {
    text = `The readiness check of \`${job.customerId}\` could not run: ${escapeSlackText((error as Error).message)}`;
  }
  await respond(job.responseUrl, { response_type: 'ephemeral', replace_original: false, text });
}

/** POSTs to a Slack `response_url`. */
export async function postToResponseUrl(url: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new ResponseUrlError(response.status, response.statusText);
}
