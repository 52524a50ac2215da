import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../../bot/blocks/request-card.ts';
import { SharedSlackBudget } from '../../../bot/notifier/shared-slack-budget.ts';
import { MemorySlackBudgetStore } from '../../../bot/notifier/slack-budget-store.ts';
import { type SlackWriteEvent, SlackWriter } from '../../../bot/notifier/slack-writer.ts';
import { FakeSlack } from '../../../sandbox/slack/fake-slack.ts';
import { VirtualClock } from './virtual-clock.ts';

const START = Date.parse('2026-12-06T12:00:00Z');
const card = (n: number): SlackMessage => ({
  text: `Card, state ${n}`,
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `state ${n}` } }],
});

const running: FakeSlack[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

async function setUp() {
  const clock = new VirtualClock(START);
  const fake = await new FakeSlack({ now: clock.now }).start();
  running.push(fake);
  const client = () =>
    new WebClient('xoxb-fake', {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logLevel: LogLevel.ERROR,
    });
  const budget = new SharedSlackBudget(new MemorySlackBudgetStore());
  const events: SlackWriteEvent[] = [];
  const writer = () =>
    new SlackWriter({
      client: client(),
      budget,
      wallNow: clock.now,
      sleep: clock.sleep,
      onWrite: (event) => events.push(event),
    });
  return { clock, fake, client, budget, writer, events };
}

describe('SlackWriter', () => {
  it('honours a 429 it did not plan for: every writer holds off for its Retry-After, and it is counted', async () => {
    // Prepare: someone outside the budget spent the workspace's chat.update burst
    const { clock, fake, client, budget, writer } = await setUp();
    const other = client();
    const { ts } = await other.chat.postMessage({ channel: 'C0OPS', text: 'x' });
    for (let i = 0; i < 50; i += 1)
      await other.chat.update({ channel: 'C0OPS', ts: String(ts), text: `other ${i}` });
    const [first, second] = [writer(), writer()];
    const options = { priority: 'prompt' as const, source: 'run-1' };
    // Act: two notifiers update the card, one after the other, ten times
    await clock.run(async () => {
      for (let n = 1; n <= 10; n += 1)
        await (n % 2 ? first : second)?.update('C0OPS', String(ts), card(n), options);
    });
    // Assess: one 429, waited out by both writers; the card shows its last state
    expect(fake.rateLimited).toHaveLength(1);
    expect(fake.rateLimited[0]?.method).toBe('chat.update');
    expect(first?.counts().rateLimited).toBe(1);
    expect(second?.counts().rateLimited).toBe(0);
    expect((await budget.bucket('chat.update', 'C0OPS'))?.rateLimited).toBe(1);
    const retried = fake.calls.filter((c) => c.method === 'chat.update').slice(50);
    const retryAfterMs = (fake.rateLimited[0]?.retryAfterSeconds ?? 0) * 1000;
    expect(retried[1]?.time).toBeGreaterThanOrEqual((retried[0]?.time ?? 0) + retryAfterMs);
    expect(fake.messages('C0OPS')[0]?.text).toBe('Card, state 10');
    expect(first?.counts().bySource['run-1']).toEqual({ posts: 0, updates: 5, rateLimited: 0 });
  });

  it('skips a card update without a token, and says how long until one', async () => {
    // Prepare: the workspace's bucket down to the cards' reserve
    const { clock, fake, writer, events } = await setUp();
    const cards = writer();
    const ts = await cards.post('C0OPS', card(0), { priority: 'line', source: 'incident:1' });
    // Act
    const answers = await clock.run(async () => {
      const sent = [];
      for (let n = 1; n <= 16; n += 1)
        sent.push(
          await cards.tryUpdate('C0OPS', String(ts), card(n), {
            priority: 'card',
            source: 'incident:1',
          }),
        );
      return sent;
    });
    // Assess: 20 tokens, 6 kept for prompts and lines
    expect(answers.filter((a) => a.sent)).toHaveLength(14);
    expect(answers.at(-1)).toEqual({ sent: false, waitMs: 1_500 });
    expect(fake.messages('C0OPS')[0]?.text).toBe('Card, state 14');
    expect(events.filter((e) => e.method === 'chat.update').map((e) => e.priority)).toEqual(
      Array(14).fill('card'),
    );
    expect(cards.counts().bySource['incident:1']).toEqual({
      posts: 1,
      updates: 14,
      rateLimited: 0,
    });
  });
});
