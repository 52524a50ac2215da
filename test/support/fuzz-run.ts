import { setTimeout as sleep } from 'node:timers/promises';
import type { SlackSandbox } from '../../sandbox/slack-sandbox.ts';
import {
  createRandom,
  drawRequest,
  type FuzzAnswer,
  type FuzzContext,
  type FuzzRequest,
  sendFuzz,
} from './fuzz-ingress.ts';
import { buttonValue, runIdOf, waitFor } from './slack.ts';

export const FUZZ_CUSTOMERS = ['bcbsaz', 'dmnt', 'nwhealth'] as const;
const DMNT = 'C0DMNTDR';

export interface FuzzRecord extends FuzzAnswer {
  index: number;
  kind: string;
  request?: FuzzRequest;
}

export interface FuzzOutcome {
  seed: number;
  records: FuzzRecord[];
  /** The legitimate run: alice's drill of dmnt, approved by bob. */
  executionId: string;
  gateId: string;
  unhandled: unknown[];
}

/**
 * Sends `count` hostile or clumsy requests drawn from `seed`, with the legitimate ones among
 * them: alice requests a drill of dmnt first, checks its status, and bob approves halfway.
 */
export async function runFuzz(
  sandbox: SlackSandbox,
  options: { seed: number; count: number },
): Promise<FuzzOutcome> {
  const random = createRandom(options.seed);
  const handler = sandbox.bot.ingress();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const records: FuzzRecord[] = [];
  const timed = async <T extends { statusCode: number }>(
    index: number,
    kind: string,
    send: () => Promise<T>,
  ) => {
    const started = performance.now();
    const answer = await send();
    records.push({ index, kind, statusCode: answer.statusCode, ms: performance.now() - started });
    return answer;
  };
  const context: FuzzContext = {};
  let card: { channel: string; ts: string } | undefined;
  try {
    const requested = await timed(0, 'legit-request', () =>
      sandbox.command('U01ALICE', DMNT, 'drill dmnt'),
    );
    context.executionId = runIdOf(requested.body.text);
    if (!context.executionId) throw new Error(`No run started: ${requested.body.text}`);
    const message = await waitFor('the request card', () =>
      sandbox.slack
        .messages(DMNT)
        .find((m) => buttonValue(m, 'gate_approve')?.startsWith(`${context.executionId}/`)),
    );
    card = { channel: DMNT, ts: message.ts };
    context.gateId = buttonValue(message, 'gate_approve') ?? '';
    for (let index = 1; index <= options.count; index++) {
      if (index === Math.floor(options.count / 2)) {
        const at = card;
        const gateId = context.gateId;
        await timed(index, 'legit-approve', () =>
          sandbox.click('U02BOB', at, 'gate_approve', gateId),
        );
      }
      if (index % 50 === 25)
        await timed(index, 'legit-status', () => sandbox.command('U01ALICE', DMNT, 'status dmnt'));
      const request = drawRequest(random, sandbox, context);
      const answer = await sendFuzz(handler, request);
      records.push({ index, kind: request.kind, ...answer, request });
    }
    // Let the listeners' background work and the notifier settle before anyone counts.
    await sleep(1000);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return {
    seed: options.seed,
    records,
    executionId: context.executionId,
    gateId: context.gateId ?? '',
    unhandled,
  };
}

/** What changed in the runs: every run started, every gate answer, every allowed audited action. */
export async function collectEffects(sandbox: SlackSandbox) {
  const started: string[] = [];
  const answers: { executionId: string; type: string; data: unknown }[] = [];
  const allowed: string[] = [];
  for (const customer of FUZZ_CUSTOMERS) {
    for (const run of await sandbox.runs.history(customer, 100)) {
      started.push(run.executionId);
      for (const entry of await sandbox.runs.journal(run.executionId))
        if (entry.type === 'gate-answered' || entry.type === 'gate-closed')
          answers.push({ executionId: run.executionId, type: entry.type, data: entry.data });
    }
    for (const entry of await sandbox.runs.auditLog(customer))
      if (entry.allowed) allowed.push(`${entry.user}:${entry.action}`);
  }
  return { started: started.sort(), answers, allowed: allowed.sort() };
}

/** Status codes counted, and the p50/p99 answer times. */
export function summarize(records: FuzzRecord[]) {
  const byStatus: Record<number, number> = {};
  for (const r of records) byStatus[r.statusCode] = (byStatus[r.statusCode] ?? 0) + 1;
  const times = records.map((r) => r.ms).sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { byStatus, p50: at(0.5), p99: at(0.99), max: times.at(-1) ?? 0 };
}

/** A request as it can be read in a failure message: its kind, signing and body (cut). */
export function describeRequest(record: FuzzRecord): string {
  const r = record.request;
  if (!r) return `#${record.index} ${record.kind}`;
  const signing = r.unsigned ? 'unsigned' : r.secret ? 'forged' : r.timestamp ? 'stale' : 'signed';
  return `#${record.index} ${record.kind} ${signing} ${JSON.stringify(r.contentType ?? '')} ${JSON.stringify(r.headers ?? {})} ${r.body.slice(0, 300)}`;
}
