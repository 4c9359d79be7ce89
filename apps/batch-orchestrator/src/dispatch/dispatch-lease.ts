import type { KV } from '@nats-io/kv';

/**
 * One replica dispatches a batch at a time: it holds the batch's key in a KV bucket whose entries
 * expire unless renewed. Creation and renewal are compare-and-set, so two replicas never both hold it.
 */
export interface DispatchLease {
  /** Takes or renews the hold; false while another replica holds it. */
  hold(batchId: string): Promise<boolean>;
  release(batchId: string): Promise<void>;
}

export function dispatchLease(kv: KV, replicaId: string): DispatchLease {
  const revisions = new Map<string, number>();
  /** Writes the hold, taking a free key or renewing our own: either way its expiry starts again. */
  async function take(batchId: string): Promise<boolean> {
    const entry = await kv.get(batchId);
    const free = !entry || entry.operation !== 'PUT';
    if (!free && entry.string() !== replicaId) return false;
    try {
      revisions.set(
        batchId,
        free ? await kv.create(batchId, replicaId) : await kv.update(batchId, replicaId, entry.revision),
      );
      return true;
    } catch {
      return false;
    }
  }
  return {
    async hold(batchId) {
      const revision = revisions.get(batchId);
      if (revision)
        try {
          revisions.set(batchId, await kv.update(batchId, replicaId, revision));
          return true;
        } catch {
          // Expired meanwhile, or taken by another replica: look again.
        }
      revisions.delete(batchId);
      return take(batchId);
    },
    async release(batchId) {
      const revision = revisions.get(batchId);
      revisions.delete(batchId);
      if (revision) await kv.delete(batchId, { previousSeq: revision }).catch(() => undefined);
    },
  };
}
