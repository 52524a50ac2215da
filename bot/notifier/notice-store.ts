/**
 * Where the notifier keeps what it showed in Slack for each run (its notice), kept with the
 * run in the state table. The document is the notifier's own: the store neither reads nor checks it.
 */
export interface NoticeStore {
  /** The run's notice and its version, if one was saved. */
  getNotice(executionId: string): Promise<{ doc: unknown; version: number } | undefined>;
  /**
   * Saves the notice as version `expectedVersion + 1`; throws ConcurrentUpdateError when
   * `expectedVersion` (0 for the first save) is no longer the current one.
   */
  putNotice(executionId: string, doc: unknown, expectedVersion: number): Promise<void>;
}
