import { ConcurrentUpdateError } from '../../orchestrator/domain/errors.ts';

/**
 * Where the Slack write budget's buckets are kept, shared by every notifier invocation: in AWS
 * the state table (`DynamoDbSlackBudgetStore`), on one machine memory. The documents are the
 * budget's own (`BucketSchema`): the store neither reads nor checks them.
 */
export interface SlackBudgetStore {
  /** The bucket and its version, if one was saved. */
  getBucket(key: string): Promise<{ doc: unknown; version: number } | undefined>;
  /**
   * Saves the bucket as version `expectedVersion + 1`; throws ConcurrentUpdateError when
   * `expectedVersion` (0 for the first save) is no longer the current one.
   */
  putBucket(key: string, doc: unknown, expectedVersion: number): Promise<void>;
}

/** The buckets in this process's memory: the budget of a notifier that is alone (local runs). */
export class MemorySlackBudgetStore implements SlackBudgetStore {
  private readonly buckets = new Map<string, { doc: unknown; version: number }>();

  async getBucket(key: string) {
    const found = this.buckets.get(key);
    return found && { doc: structuredClone(found.doc), version: found.version };
  }

  async putBucket(key: string, doc: unknown, expectedVersion: number) {
    if ((this.buckets.get(key)?.version ?? 0) !== expectedVersion)
      throw new ConcurrentUpdateError(`The Slack write budget ${key}`);
    this.buckets.set(key, { doc: structuredClone(doc), version: expectedVersion + 1 });
  }
}
