/**
 * A value built on its first use, once: callers meanwhile wait for the same build. A build that
 * fails is not kept, so the next call (the next request, the next batch) tries again.
 */
export function onFirstUse<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}
