/**
 * Ingress fuzz: about 2,000 hostile or clumsy requests (signed and unsigned commands, clicks,
 * modal submissions, malformed bodies, wrong content types, Slack's retry headers) through the
 * ingress Lambda's real handler on the local sandbox, with alice's drill of dmnt and bob's
 * approval among them. Reports the rate, p50/p99 answer times, counts by status code, and what
 * broke the rules the fuzz test asserts (`test/bot/fuzz.test.ts`). `FUZZ_SEED=<n>` replays a run.
 */
import { SlackSandbox } from '../sandbox/slack-sandbox.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../test/helpers.ts';
import { collectEffects, describeRequest, runFuzz, summarize } from '../test/support/fuzz-run.ts';

const COUNT = 2000;
const SLACK_TIMEOUT_MS = 3000;

export async function benchIngressFuzz(): Promise<void> {
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`Ingress fuzz: ${COUNT} requests, seed ${seed} (replay with FUZZ_SEED=${seed})`);
  const sandbox = await SlackSandbox.start({
    plansDir: SAMPLE_PLANS,
    settingsFile: SAMPLE_SETTINGS,
    postEveryMs: 0,
  });
  try {
    const started = performance.now();
    const outcome = await runFuzz(sandbox, { seed, count: COUNT });
    // runFuzz ends with a one-second pause for background work: not part of the rate.
    const seconds = (performance.now() - started) / 1000 - 1;
    const { byStatus, p50, p99, max } = summarize(outcome.records);
    const effects = await collectEffects(sandbox);
    const refused = sandbox.slack.calls.filter((c) => !c.ok && c.error !== 'ratelimited');
    console.log(
      `  ${outcome.records.length} requests in ${seconds.toFixed(1)} s: ${(outcome.records.length / seconds).toFixed(0)} requests/s`,
    );
    console.log(
      `  answer time p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(0)} ms`,
    );
    console.log(`  by status: ${JSON.stringify(byStatus)}`);
    const problems = [
      ...outcome.records
        .filter((r) => r.statusCode >= 500 || r.ms >= SLACK_TIMEOUT_MS)
        .map((r) => `${r.statusCode} in ${r.ms.toFixed(0)} ms: ${describeRequest(r)}`),
      ...outcome.unhandled.map((reason) => `unhandled rejection: ${String(reason)}`),
      ...sandbox.errors.map((error) => `background error: ${String(error)}`),
      ...refused.map((c) => `Slack refused ${c.method}: ${c.error}`),
      ...sandbox.slack.refusedResponses.map((r) => `Slack refused a response: ${r.error}`),
      ...(effects.started.join() === outcome.executionId
        ? []
        : [`runs started: ${effects.started.join(', ')} (only ${outcome.executionId} asked for)`]),
      ...(effects.allowed.join() === 'U01ALICE:request,U02BOB:approve'
        ? []
        : [`allowed actions: ${effects.allowed.join(', ')}`]),
      ...effects.answers
        .filter((a) => (a.data as { gateId?: string }).gateId !== outcome.gateId)
        .map((a) => `gate answered: ${a.executionId} ${JSON.stringify(a.data)}`),
    ];
    console.log(`  rules broken: ${problems.length}`);
    for (const problem of problems.slice(0, 20)) console.log(`    ${problem.slice(0, 400)}`);
    await sandbox.command('U01ALICE', 'C0DMNTDR', `abort ${outcome.executionId}`);
    await sandbox.orchestrator.settled(outcome.executionId);
  } finally {
    await sandbox.stop();
  }
}
