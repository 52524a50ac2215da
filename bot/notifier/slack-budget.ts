import * as z from 'zod';

/**
 * The Slack writes every notifier shares, decided here and nowhere else (pure: no clock, no I/O).
 * Slack limits writes per method and app and workspace (docs.slack.dev, "Rate limits"):
 * chat.update is Tier 3 (50+ a minute per workspace), chat.postMessage about one a second per
 * channel with short bursts. Each limit is a token bucket whose state every notifier invocation
 * reads and writes (`SharedSlackBudget`); a write takes a token or waits for one.
 */

/**
 * What a write is for, most urgent first: `prompt` (a question people answer, a failure),
 * `line` (thread replies, the report, a card's first post or last state), `card` (a status or
 * incident card's intermediate state, which the next update carries if this one is skipped).
 */
export const WRITE_PRIORITIES = ['prompt', 'line', 'card'] as const;
export type WritePriority = (typeof WRITE_PRIORITIES)[number];

/** The Slack methods budgeted: the two the notifier writes with. */
export const BUDGETED_METHODS = ['chat.postMessage', 'chat.update'] as const;
export type BudgetedMethod = (typeof BUDGETED_METHODS)[number];

export interface BucketLimits {
  /** Tokens the bucket holds at most: the burst Slack tolerates, with room to spare. */
  burst: number;
  /** Milliseconds to earn one token; 0 leaves the method unpaced. */
  everyMs: number;
  /**
   * Tokens a write of each priority must leave behind: a card update goes only while the bucket
   * keeps `reserve.card` tokens for prompts and lines coming after it.
   */
  reserve: Record<WritePriority, number>;
}

export type SlackLimits = Record<BudgetedMethod, BucketLimits>;

/**
 * Below Slack's own limits (the fake Slack enforces 50 updates a minute with a burst of 50, and
 * one post a second per channel with a burst of 3): the time between deciding a write and Slack
 * counting it varies, so two writes decided a token apart may arrive closer than that.
 */
export const SLACK_LIMITS: SlackLimits = {
  'chat.update': { burst: 20, everyMs: 1_500, reserve: { prompt: 0, line: 2, card: 6 } },
  'chat.postMessage': { burst: 2, everyMs: 1_100, reserve: { prompt: 0, line: 0, card: 1 } },
};

/** Which bucket a write draws on: chat.update's one per workspace, chat.postMessage's per channel. */
export function bucketKey(method: BudgetedMethod, channel: string): string {
  return method === 'chat.update' ? `${method}#workspace` : `${method}#${channel}`;
}

/** One bucket as stored: its tokens as of `at`, a hold Slack asked for, and what it counted. */
export const BucketSchema = z.object({
  schemaVersion: z.literal(1),
  tokens: z.number(),
  /** When `tokens` was last brought up to date (ms). */
  at: z.number(),
  /** Slack answered 429: no write goes before this (ms). */
  heldUntil: z.number().default(0),
  /** Writes granted, by priority. */
  granted: z.partialRecord(z.enum(WRITE_PRIORITIES), z.number()).default({}),
  /** 429s Slack answered all the same. */
  rateLimited: z.number().default(0),
});
export type Bucket = z.infer<typeof BucketSchema>;

export type WriteDecision =
  | { go: true; bucket: Bucket }
  /** No token for this priority: ask again in `waitMs` (a card may skip this state instead). */
  | { go: false; waitMs: number };

/** Checks limits once, where they are configured: a reserve the burst cannot hold never lets a write go. */
export function checkLimits(limits: SlackLimits): SlackLimits {
  for (const method of BUDGETED_METHODS) {
    const { burst, everyMs, reserve } = limits[method];
    if (!(burst >= 1) || !(everyMs >= 0))
      throw new RangeError(
        `Slack limits of ${method}: burst ${burst} must be 1 or more and everyMs ${everyMs} 0 or more.`,
      );
    for (const priority of WRITE_PRIORITIES) {
      if (!(reserve[priority] >= 0 && reserve[priority] + 1 <= burst))
        throw new RangeError(
          `Slack limits of ${method}: the ${priority} reserve ${reserve[priority]} must be 0 or more and leave a token of the burst ${burst}.`,
        );
    }
  }
  return limits;
}

/** A bucket nobody has drawn on: full. */
export function fullBucket(limits: BucketLimits, now: number): Bucket {
  return {
    schemaVersion: 1,
    tokens: limits.burst,
    at: now,
    heldUntil: 0,
    granted: {},
    rateLimited: 0,
  };
}

/** The bucket with the tokens earned since it was last brought up to date. */
export function refill(bucket: Bucket, limits: BucketLimits, now: number): Bucket {
  if (now <= bucket.at) return bucket;
  const earned = limits.everyMs > 0 ? (now - bucket.at) / limits.everyMs : limits.burst;
  return { ...bucket, tokens: Math.min(limits.burst, bucket.tokens + earned), at: now };
}

/**
 * Whether a write of `priority` may go at `now`: it takes a token when the bucket keeps its
 * priority's reserve after it; else how long until it would. A hold from a 429 stops every write.
 */
export function decideWrite(
  stored: Bucket | undefined,
  limits: BucketLimits,
  priority: WritePriority,
  now: number,
): WriteDecision {
  const bucket = refill(stored ?? fullBucket(limits, now), limits, now);
  const need = 1 + limits.reserve[priority];
  if (now < bucket.heldUntil) {
    // Tokens earned during the hold do not count: Slack's window restarts when it ends.
    return { go: false, waitMs: bucket.heldUntil - now + Math.ceil(need * limits.everyMs) };
  }
  if (limits.everyMs === 0 || bucket.tokens >= need) {
    return {
      go: true,
      bucket: {
        ...bucket,
        tokens: limits.everyMs === 0 ? bucket.tokens : bucket.tokens - 1,
        granted: { ...bucket.granted, [priority]: (bucket.granted[priority] ?? 0) + 1 },
      },
    };
  }
  return { go: false, waitMs: Math.max(1, Math.ceil((need - bucket.tokens) * limits.everyMs)) };
}

/** Slack answered 429 with Retry-After: nothing goes before it ends, and the bucket starts empty. */
export function holdForRetryAfter(
  stored: Bucket | undefined,
  limits: BucketLimits,
  retryAfterMs: number,
  now: number,
): Bucket {
  const bucket = refill(stored ?? fullBucket(limits, now), limits, now);
  const until = now + Math.max(0, retryAfterMs);
  return {
    ...bucket,
    tokens: 0,
    at: Math.max(bucket.at, until),
    heldUntil: Math.max(bucket.heldUntil, until),
    rateLimited: bucket.rateLimited + 1,
  };
}
