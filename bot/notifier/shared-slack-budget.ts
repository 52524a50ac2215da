import { ConcurrentUpdateError } from '../../orchestrator/domain/errors.ts';
import {
  type Bucket,
  BucketSchema,
  type BudgetedMethod,
  bucketKey,
  checkLimits,
  decideWrite,
  holdForRetryAfter,
  SLACK_LIMITS,
  type SlackLimits,
  type WritePriority,
} from './slack-budget.ts';
import type { SlackBudgetStore } from './slack-budget-store.ts';

/** May the write go now, or how long until it may. */
export type BudgetAnswer = { go: true } | { go: false; waitMs: number };

/** One Slack write as the budget sees it. */
export interface BudgetedWrite {
  method: BudgetedMethod;
  channel: string;
  priority: WritePriority;
}

/** The budget every Slack write of the notifiers (and any other card) draws on. */
export interface SlackBudget {
  /** Takes a token for the write when it may go at `now`; else how long to wait for one. */
  take(write: BudgetedWrite, now: number): Promise<BudgetAnswer>;
  /** Slack answered 429 all the same: every writer holds off for `retryAfterMs`. */
  rateLimited(write: BudgetedWrite, retryAfterMs: number, now: number): Promise<void>;
}

/** How often a write that lost a race is tried again before giving up. */
const MAX_ATTEMPTS = 25;

/**
 * The budget kept in a store every invocation shares: each decision reads the bucket, decides
 * (`decideWrite`), and writes the bucket back only if its version is still the one read; a
 * lost race reads again and decides again.
 */
export class SharedSlackBudget implements SlackBudget {
  readonly limits: SlackLimits;

  constructor(
    private readonly store: SlackBudgetStore,
    limits: SlackLimits = SLACK_LIMITS,
    private readonly pause: (attempt: number) => Promise<void> = jitter,
  ) {
    this.limits = checkLimits(limits);
  }

  async take(write: BudgetedWrite, now: number): Promise<BudgetAnswer> {
    const limits = this.limits[write.method];
    // Unpaced (tests, a bench): no round trip to the store.
    if (limits.everyMs === 0) return { go: true };
    return this.change<BudgetAnswer>(bucketKey(write.method, write.channel), (bucket) => {
      const decision = decideWrite(bucket, limits, write.priority, now);
      return decision.go ? { result: { go: true }, next: decision.bucket } : { result: decision };
    });
  }

  async rateLimited(write: BudgetedWrite, retryAfterMs: number, now: number): Promise<void> {
    const limits = this.limits[write.method];
    await this.change(bucketKey(write.method, write.channel), (bucket) => ({
      result: undefined,
      next: holdForRetryAfter(bucket, limits, retryAfterMs, now),
    }));
  }

  /** A bucket as stored (what it granted, the 429s it met), for a benchmark or a test. */
  async bucket(method: BudgetedMethod, channel: string): Promise<Bucket | undefined> {
    const found = await this.store.getBucket(bucketKey(method, channel));
    return found && BucketSchema.parse(found.doc);
  }

  private async change<T>(
    key: string,
    decide: (bucket: Bucket | undefined) => { result: T; next?: Bucket },
  ): Promise<T> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const found = await this.store.getBucket(key);
      const { result, next } = decide(found && BucketSchema.parse(found.doc));
      if (!next) return result;
      try {
        await this.store.putBucket(key, next, found?.version ?? 0);
        return result;
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError)) throw error;
        await this.pause(attempt);
      }
    }
    throw new ConcurrentUpdateError(`The Slack write budget ${key}`);
  }
}

/** A short random wait, so racing writers do not collide again in step. */
function jitter(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 5 * attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
