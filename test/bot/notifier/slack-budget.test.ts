import { describe, expect, it } from 'vitest';
import {
  type Bucket,
  type BucketLimits,
  checkLimits,
  decideWrite,
  fullBucket,
  holdForRetryAfter,
  SLACK_LIMITS,
  type WritePriority,
} from '../../../bot/notifier/slack-budget.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');
/** A token every second, 5 at most; a card leaves 3 behind, a line 1. */
const LIMITS: BucketLimits = { burst: 5, everyMs: 1_000, reserve: { prompt: 0, line: 1, card: 3 } };

const bucket = (tokens: number, more: Partial<Bucket> = {}): Bucket => ({
  ...fullBucket(LIMITS, NOW),
  tokens,
  ...more,
});

describe('decideWrite', () => {
  it.each<[string, Bucket | undefined, WritePriority, number, boolean | number]>([
    // [case, bucket, priority, now, go (true) or the wait in ms]
    ['a first write finds the bucket full', undefined, 'card', NOW, true],
    ['a prompt takes the last token', bucket(1), 'prompt', NOW, true],
    ['a line leaves one token for prompts', bucket(1), 'line', NOW, 1_000],
    ['a line goes with two', bucket(2), 'line', NOW, true],
    ['a card leaves three for prompts and lines', bucket(3), 'card', NOW, 1_000],
    ['a card goes with four', bucket(4), 'card', NOW, true],
    ['a card waits for the tokens it lacks', bucket(0.5), 'card', NOW, 3_500],
    ['tokens are earned with time', bucket(3), 'card', NOW + 1_000, true],
    ['and never beyond the burst', bucket(0, { at: NOW - 60_000 }), 'card', NOW, true],
    ['an empty bucket makes a prompt wait a token', bucket(0), 'prompt', NOW, 1_000],
    ['a hold stops even a prompt', bucket(5, { heldUntil: NOW + 30_000 }), 'prompt', NOW, 31_000],
    [
      'a card waits out the hold and its reserve',
      bucket(0, { heldUntil: NOW + 2_000, at: NOW + 2_000 }),
      'card',
      NOW,
      6_000,
    ],
    [
      'a hold that has passed stops nothing',
      bucket(5, { heldUntil: NOW - 1 }),
      'prompt',
      NOW,
      true,
    ],
    ['a clock behind the bucket earns nothing', bucket(3, { at: NOW + 500 }), 'card', NOW, 1_000],
  ])('%s', (_, stored, priority, now, expected) => {
    // Act
    const decision = decideWrite(stored, LIMITS, priority, now);
    // Assess
    if (expected === true) expect(decision.go).toBe(true);
    else expect(decision).toEqual({ go: false, waitMs: expected });
  });

  it('takes one token and counts the write by its priority', () => {
    // Act
    const decision = decideWrite(bucket(4, { granted: { card: 2 } }), LIMITS, 'card', NOW);
    // Assess
    expect(decision).toMatchObject({ go: true, bucket: { tokens: 3, granted: { card: 3 } } });
  });

  it('lets every write go, uncounted against tokens, when the method is unpaced', () => {
    const unpaced = { ...LIMITS, everyMs: 0 };
    const decision = decideWrite(bucket(0), unpaced, 'card', NOW);
    expect(decision).toMatchObject({ go: true, bucket: { tokens: 0 } });
  });

  it('grants no more than the burst and the rate over a minute of writes asked every 100 ms', () => {
    // Prepare
    let stored: Bucket | undefined;
    let granted = 0;
    // Act
    for (let t = NOW; t < NOW + 60_000; t += 100) {
      const decision = decideWrite(stored, LIMITS, 'prompt', t);
      if (decision.go) {
        stored = decision.bucket;
        granted += 1;
      }
    }
    // Assess: the burst at once, then one a second
    expect(granted).toBe(5 + 59);
  });
});

describe('holdForRetryAfter', () => {
  it('empties the bucket, holds it for the Retry-After and counts the 429', () => {
    // Act
    const held = holdForRetryAfter(bucket(4), LIMITS, 30_000, NOW);
    // Assess
    expect(held).toMatchObject({ tokens: 0, heldUntil: NOW + 30_000, rateLimited: 1 });
    expect(decideWrite(held, LIMITS, 'prompt', NOW + 29_999).go).toBe(false);
    expect(decideWrite(held, LIMITS, 'prompt', NOW + 31_000).go).toBe(true);
  });

  it('keeps the longer of two holds', () => {
    const first = holdForRetryAfter(undefined, LIMITS, 30_000, NOW);
    const second = holdForRetryAfter(first, LIMITS, 1_000, NOW + 1_000);
    expect(second).toMatchObject({ heldUntil: NOW + 30_000, rateLimited: 2 });
  });
});

describe('checkLimits', () => {
  it('takes the shipped limits', () => {
    expect(checkLimits(SLACK_LIMITS)).toBe(SLACK_LIMITS);
  });

  it.each([
    [
      'a reserve the burst cannot hold',
      { burst: 3, reserve: { prompt: 0, line: 0, card: 3 } },
      'card reserve 3',
    ],
    ['no burst', { burst: 0 }, 'burst 0'],
    ['a negative pace', { everyMs: -1 }, 'everyMs -1'],
  ])('refuses %s, naming it', (_, change, message) => {
    const limits = {
      ...SLACK_LIMITS,
      'chat.update': { ...SLACK_LIMITS['chat.update'], ...change },
    };
    expect(() => checkLimits(limits)).toThrow(message);
  });
});
