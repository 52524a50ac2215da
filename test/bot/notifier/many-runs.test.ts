import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { NoticeSchema, Notifier } from '../../../bot/notifier/notifier.ts';
import { SharedSlackBudget } from '../../../bot/notifier/shared-slack-budget.ts';
import { SLACK_LIMITS } from '../../../bot/notifier/slack-budget.ts';
import {
  MemorySlackBudgetStore,
  type SlackBudgetStore,
} from '../../../bot/notifier/slack-budget-store.ts';
import { DynamoDbSlackBudgetStore } from '../../../orchestrator/adapters/dynamodb-slack-budget-store.ts';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import { startLocalAws } from '../../../sandbox/aws/local-aws.ts';
import { FakeSlack, type FakeSlackCall } from '../../../sandbox/slack/fake-slack.ts';
import { FakeRuns, MemoryNotices, tinyDrill } from './fake-runs.ts';
import { VirtualClock } from './virtual-clock.ts';

const RUNS = 30;
/** Notifier Lambdas running at once (the notifier's default maxConcurrency). */
const LAMBDAS = 5;
/** How often a run's notifier looks at its journal, and how often the journal grows (virtual). */
const POLL_MS = 1_000;
const STEP_MS = 1_000;
const START = Date.parse('2026-12-06T12:00:00Z');

const running: FakeSlack[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

const seqOf = (
  run: { entries: { seq: number; type: string; data?: unknown }[] },
  type: string,
  gateId: string,
) =>
  run.entries.find((e) => e.type === type && (e.data as { gateId?: string }).gateId === gateId)
    ?.seq as number;

/**
 * Thirty drills in one workspace, their journals growing together, shown by five notifiers that
 * share one Slack write budget, against the fake Slack (which answers 429 past Slack's limits).
 */
async function incident(options: { runs?: number; store?: SlackBudgetStore } = {}) {
  const clock = new VirtualClock(START);
  const fake = await new FakeSlack({ now: clock.now }).start();
  running.push(fake);
  const runs = new FakeRuns();
  for (let i = 0; i < (options.runs ?? RUNS); i += 1)
    runs.add(
      await tinyDrill(`C0RUN${String(i).padStart(2, '0')}`, { executionId: `tiny-drill-${i}` }),
    );
  const notices = new MemoryNotices();
  const budget = new SharedSlackBudget(options.store ?? new MemorySlackBudgetStore());
  const notifiers = Array.from(
    { length: LAMBDAS },
    () =>
      new Notifier({
        runs: runs.reader(),
        notices,
        client: new WebClient('xoxb-fake', {
          slackApiUrl: fake.apiUrl,
          retryConfig: { retries: 0 },
          rejectRateLimitedCalls: true,
          logLevel: LogLevel.ERROR,
        }),
        budget,
        wallNow: clock.now,
        sleep: clock.sleep,
        settle: 'wait',
      }),
  );
  return {
    clock,
    fake,
    budget,
    reader: runs.reader(),
    runs: [...runs.byId.values()],
    notices,
    notifiers,
  };
}

describe('thirty runs in one workspace', () => {
  it('shows every run to its end with no 429, prompts ahead of cards when the budget is tight', async () => {
    // Prepare
    const { clock, fake, runs, notices, notifiers } = await incident();
    const signOffOpened = seqOf(runs[0] as never, 'gate-opened', 'g-sign-off');
    const signOffClosed = seqOf(runs[0] as never, 'gate-closed', 'g-sign-off');
    const last = runs[0]?.entries.length as number;
    const promptsShown = () =>
      runs.every((run) =>
        fake
          .messages(run.execution.channel as string)
          .some((m) => m.threadTs && (m.text ?? '').includes('sign-off')),
      );
    let tight: { at: number; cardsDue: number } | undefined;
    const follow = (executionId: string, notifier: Notifier) => async () => {
      for (;;) {
        if ((await notifier.sync(executionId)) === 'done') return;
        await clock.sleep(POLL_MS);
      }
    };
    // The journals grow an entry a second (each run a little after the one before) up to their
    // sign-off prompts; once every prompt is shown, every sign-off is answered at once.
    const drive = async () => {
      for (let seq = 1; seq <= signOffOpened; seq += 1) {
        for (const run of runs) run.shownTo = seq;
        await clock.sleep(STEP_MS);
      }
      while (!promptsShown()) await clock.sleep(100);
      const due = await Promise.all(
        runs.map(
          async (run) =>
            NoticeSchema.parse((await notices.getNotice(run.execution.executionId))?.doc).cardDue,
        ),
      );
      tight = { at: clock.now(), cardsDue: due.filter(Boolean).length };
      for (const run of runs) run.shownTo = signOffClosed;
      for (let seq = signOffClosed + 1; seq <= last; seq += 1) {
        await clock.sleep(STEP_MS);
        for (const run of runs) run.shownTo = seq;
      }
    };
    const started = performance.now();
    // Act
    await Promise.all([
      clock.run(drive),
      ...runs.map((run, i) =>
        clock.run(follow(run.execution.executionId, notifiers[i % LAMBDAS] as Notifier)),
      ),
    ]);
    const realMs = performance.now() - started;
    // Assess: no 429
    expect(fake.rateLimited).toEqual([]);
    // Every run's report ends its thread, and its card shows how it ended.
    for (const run of runs) {
      const channel = run.execution.channel as string;
      const notice = NoticeSchema.parse((await notices.getNotice(run.execution.executionId))?.doc);
      const card = fake.messages(channel).find((m) => m.ts === notice.statusTs);
      expect(fake.messages(channel).at(-1)?.text).toMatch(/^Drill of Tiny Health succeeded/);
      expect(JSON.stringify(card?.blocks)).toContain('✅ Succeeded');
      expect(notice.done).toBe(true);
    }
    // When every sign-off closed, most cards were waiting for the budget: it was tight.
    expect(tight?.cardsDue).toBeGreaterThanOrEqual(RUNS / 2);
    // Then every prompt's update (its buttons taken away) went before any card's update.
    const promptTs = new Set(
      await Promise.all(
        runs.map(
          async (run) =>
            NoticeSchema.parse((await notices.getNotice(run.execution.executionId))?.doc).prompts[
              'g-sign-off'
            ],
        ),
      ),
    );
    const afterTight = fake.calls.filter(
      (c) => c.method === 'chat.update' && c.ok && c.time >= (tight?.at ?? 0),
    );
    const isPrompt = (c: FakeSlackCall) => promptTs.has(String(c.args.ts));
    const firstPrompt = afterTight.findIndex(isPrompt);
    const lastPrompt = afterTight.findLastIndex(isPrompt);
    expect(afterTight.filter(isPrompt)).toHaveLength(RUNS);
    expect(afterTight.slice(firstPrompt, lastPrompt + 1).every(isPrompt)).toBe(true);
    // The notifiers' counts are Slack's: per run, what landed in its channel.
    const bySource = new Map<string, { posts: number; updates: number }>();
    for (const notifier of notifiers)
      for (const [source, count] of Object.entries(notifier.writeCounts().bySource)) {
        const sum = bySource.get(source) ?? { posts: 0, updates: 0 };
        bySource.set(source, {
          posts: sum.posts + count.posts,
          updates: sum.updates + count.updates,
        });
      }
    const slack = fake.writeCounts();
    expect(slack.rateLimited).toBe(0);
    for (const run of runs)
      expect(bySource.get(run.execution.executionId)).toEqual(
        slack.byChannel[run.execution.channel as string],
      );
    expect(notifiers.map((n) => n.writeCounts().rateLimited)).toEqual(Array(LAMBDAS).fill(0));
    const writes = [...bySource.values()].map((c) => c.posts + c.updates);
    console.info(
      `${RUNS} runs: ${Math.min(...writes)}-${Math.max(...writes)} Slack writes each, ${fake.calls.length} in all over ${Math.round((clock.now() - START) / 1000)} s of Slack time, ${Math.round(realMs)} ms real`,
    );
  }, 120_000);

  it("on Lambda, shows a batch's prompts first, then settles the cards it held back", async () => {
    // Prepare: ten runs up to their sign-off prompts; the workspace's updates all spent
    const { clock, fake, reader, runs, notices } = await incident();
    const batch = runs.slice(0, 10);
    const signOffOpened = seqOf(runs[0] as never, 'gate-opened', 'g-sign-off');
    for (const run of batch) run.shownTo = signOffOpened;
    const budget = new SharedSlackBudget(new MemorySlackBudgetStore());
    for (let i = 0; i < 20; i += 1)
      await budget.take(
        { method: 'chat.update', channel: 'C0OTHER', priority: 'prompt' },
        clock.now(),
      );
    const lambda = new Notifier({
      runs: reader,
      notices,
      client: new WebClient('xoxb-fake', {
        slackApiUrl: fake.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        logLevel: LogLevel.ERROR,
      }),
      budget,
      wallNow: clock.now,
      sleep: clock.sleep,
      settle: 'later',
    });
    const cardsShown = async () => {
      let shown = 0;
      for (const run of batch) {
        const notice = NoticeSchema.parse(
          (await notices.getNotice(run.execution.executionId))?.doc,
        );
        const card = fake
          .messages(run.execution.channel as string)
          .find((m) => m.ts === notice.statusTs);
        if (!notice.cardDue && JSON.stringify(card?.blocks) === notice.statusText) shown += 1;
      }
      return shown;
    };
    // Act
    const shownAfterBatch = await clock.run(async () => {
      for (const run of batch) await lambda.sync(run.execution.executionId);
      return { at: clock.now(), cards: await cardsShown() };
    });
    await clock.run(() =>
      lambda.settleCards(
        batch.map((run) => run.execution.executionId),
        clock.now() + 60_000,
      ),
    );
    // Assess: every prompt was posted by the batch, before any card it held back
    const prompts = fake.calls.filter(
      (c) => c.method === 'chat.postMessage' && String(c.args.text).includes('sign-off'),
    );
    // Each run posts 7 messages (request card, status card, 4 thread replies, the prompt), a
    // channel's pace apart: the batch's prompts waited for nothing else, no held card.
    const postsPerRun = 7;
    expect(prompts).toHaveLength(batch.length);
    expect(Math.max(...prompts.map((c) => c.time)) - START).toBeLessThanOrEqual(
      batch.length * postsPerRun * SLACK_LIMITS['chat.postMessage'].everyMs,
    );
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(
      batch.length * postsPerRun,
    );
    expect(shownAfterBatch.cards).toBeLessThan(batch.length);
    expect(await cardsShown()).toBe(batch.length);
    expect(fake.rateLimited).toEqual([]);
  }, 60_000);

  it('shares the budget through the state table, as Lambdas do', async () => {
    // Prepare: ten runs, five notifiers, the buckets in DynamoDB (dynalite)
    const aws = await startLocalAws({ plans: [], speed: 0 });
    try {
      const client = new DynamoDBClient({
        region: 'us-east-2',
        endpoint: aws.endpoints.dynamodb,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      await new DynamoDbStateStore(client, 'lifeboat-many-runs').ensureTable();
      const store = new DynamoDbSlackBudgetStore(client, 'lifeboat-many-runs');
      const { clock, fake, budget, runs, notices, notifiers } = await incident({ runs: 10, store });
      const last = runs[0]?.entries.length as number;
      // Act: the journals grow together, an entry every half second
      await Promise.all([
        clock.run(async () => {
          for (let seq = 1; seq <= last; seq += 1) {
            for (const run of runs) run.shownTo = seq;
            await clock.sleep(STEP_MS / 2);
          }
        }),
        ...runs.map((run, i) =>
          clock.run(async () => {
            const notifier = notifiers[i % LAMBDAS] as Notifier;
            while ((await notifier.sync(run.execution.executionId)) !== 'done')
              await clock.sleep(POLL_MS);
          }),
        ),
      ]);
      // Assess
      expect(fake.rateLimited).toEqual([]);
      for (const run of runs) {
        const notice = NoticeSchema.parse(
          (await notices.getNotice(run.execution.executionId))?.doc,
        );
        const card = fake
          .messages(run.execution.channel as string)
          .find((m) => m.ts === notice.statusTs);
        expect(JSON.stringify(card?.blocks)).toContain('✅ Succeeded');
        expect(fake.messages(run.execution.channel as string).at(-1)?.text).toMatch(
          /^Drill of Tiny Health succeeded/,
        );
      }
      // The table's bucket granted every update Slack took.
      const updates = Object.values(fake.writeCounts().byChannel).reduce(
        (n, c) => n + c.updates,
        0,
      );
      const granted = (await budget.bucket('chat.update', 'any'))?.granted ?? {};
      expect(Object.values(granted).reduce((n, g) => n + g, 0)).toBe(updates);
    } finally {
      await aws.stop();
    }
  }, 120_000);
});
