/** Runs a batch's task when fewer than the batch's cap of its tasks run in this worker. */
export type BatchConcurrency = <T>(
  batchId: string,
  cap: number | undefined,
  task: () => Promise<T>,
) => Promise<T>;

/**
 * A batch's `rateLimit.concurrency`: at most that many of its calls at once in each worker, waiting
 * in order of arrival. Without a cap, only the worker's slots bound them.
 */
export function batchConcurrency(): BatchConcurrency {
  const batches = new Map<string, { running: number; waiting: (() => void)[] }>();
  return async (batchId, cap, task) => {
    if (cap === undefined) return task();
    let batch = batches.get(batchId);
    if (!batch) batches.set(batchId, (batch = { running: 0, waiting: [] }));
    if (batch.running >= cap) await new Promise<void>((resolve) => batch.waiting.push(resolve));
    else batch.running++;
    try {
      return await task();
    } finally {
      const next = batch.waiting.shift();
      if (next) next();
      else if (--batch.running === 0) batches.delete(batchId);
    }
  };
}
