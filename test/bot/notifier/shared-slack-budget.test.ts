import { describe, expect, it } from 'vitest';
import { SharedSlackBudget } from '../../../bot/notifier/shared-slack-budget.ts';
import { SLACK_LIMITS, type SlackLimits } from '../../../bot/notifier/slack-budget.ts';
import { MemorySlackBudgetStore } from '../../../bot/notifier/slack-budget-store.ts';
import { ConcurrentUpdateError } from '../../../orchestrator/domain/errors.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const LIMITS: SlackLimits = {
  'chat.update': { burst: 6, everyMs: 1_500, reserve: { prompt: 0, line: 1, card: 3 } },
  'chat.postMessage': { burst: 2, everyMs: 1_100, reserve: { prompt: 0, line: 0, card: 1 } },
};
const noPause = async () => {};

describe('SharedSlackBudget', () => {
  it('grants each token once when many invocations ask at the same instant', async () => {
    // Prepare: 20 writers, 6 tokens in the workspace's chat.update bucket
    const budget = new SharedSlackBudget(new MemorySlackBudgetStore(), LIMITS, noPause);
    // Act
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        budget.take({ method: 'chat.update', channel: `C${i}`, priority: 'prompt' }, NOW),
      ),
    );
    // Assess
    expect(answers.filter((a) => a.go)).toHaveLength(6);
    expect((await budget.bucket('chat.update', 'any'))?.granted).toEqual({ prompt: 6 });
  });

  it("keeps chat.update's bucket for the workspace and chat.postMessage's per channel", async () => {
    // Prepare
    const budget = new SharedSlackBudget(new MemorySlackBudgetStore(), LIMITS, noPause);
    const post = (channel: string) =>
      budget.take({ method: 'chat.postMessage', channel, priority: 'line' }, NOW);
    // Act
    const answers = [await post('C1'), await post('C1'), await post('C1'), await post('C2')];
    // Assess: C1 spent its burst of 2; C2 has its own
    expect(answers.map((a) => a.go)).toEqual([true, true, false, true]);
    expect(answers[2]).toEqual({ go: false, waitMs: 1_100 });
  });

  it('keeps the reserve from cards for the prompts that come after them', async () => {
    // Prepare
    const budget = new SharedSlackBudget(new MemorySlackBudgetStore(), LIMITS, noPause);
    const take = (priority: 'prompt' | 'card') =>
      budget.take({ method: 'chat.update', channel: 'C1', priority }, NOW);
    // Act: cards until refused, then prompts
    const cards = [await take('card'), await take('card'), await take('card'), await take('card')];
    const prompts = [await take('prompt'), await take('prompt'), await take('prompt')];
    // Assess: 3 cards leave 3 tokens, which the prompts get
    expect(cards.map((a) => a.go)).toEqual([true, true, true, false]);
    expect(prompts.map((a) => a.go)).toEqual([true, true, true]);
  });

  it('holds every writer of the bucket off for a Retry-After, and counts the 429', async () => {
    // Prepare
    const budget = new SharedSlackBudget(new MemorySlackBudgetStore(), LIMITS, noPause);
    const write = { method: 'chat.update', channel: 'C1', priority: 'prompt' } as const;
    // Act
    await budget.rateLimited(write, 20_000, NOW);
    const during = await budget.take({ ...write, channel: 'C9' }, NOW + 19_000);
    const after = await budget.take(write, NOW + 21_500);
    // Assess
    expect(during).toEqual({ go: false, waitMs: 2_500 });
    expect(after.go).toBe(true);
    expect((await budget.bucket('chat.update', 'C1'))?.rateLimited).toBe(1);
  });

  it('takes no trip to the store for an unpaced method', async () => {
    // Prepare
    const store = new MemorySlackBudgetStore();
    const limits = {
      ...SLACK_LIMITS,
      'chat.postMessage': { ...LIMITS['chat.postMessage'], everyMs: 0 },
    };
    const budget = new SharedSlackBudget(store, limits, noPause);
    // Act
    const answer = await budget.take(
      { method: 'chat.postMessage', channel: 'C1', priority: 'card' },
      NOW,
    );
    // Assess
    expect(answer.go).toBe(true);
    expect(await store.getBucket('chat.postMessage#C1')).toBeUndefined();
  });

  it('gives up with ConcurrentUpdateError when it loses every race', async () => {
    // Prepare: a store whose every save finds a newer version
    const store = new MemorySlackBudgetStore();
    store.putBucket = async () => {
      throw new ConcurrentUpdateError('the bucket');
    };
    const budget = new SharedSlackBudget(store, LIMITS, noPause);
    // Act, Assess
    await expect(
      budget.take({ method: 'chat.update', channel: 'C1', priority: 'prompt' }, NOW),
    ).rejects.toBeInstanceOf(ConcurrentUpdateError);
  });
});
