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
  return {
    async hold(batchId) {
      const revision = revisions.get(batchId);
      try {
        revisions.set(
          batchId,
          revision ? await kv.update(batchId, replicaId, revision) : await kv.create(batchId, replicaId),
        );
        return true;
      } catch {
        revisions.delete(batchId);
        const entry = await kv.get(batchId);
        if (entry?.operation === 'PUT' && entry.string() === replicaId) {
          revisions.set(batchId, entry.revision);
          return true;
        }
        return false;
      }
    },
    async release(batchId) {
      const revision = revisions.get(batchId);
      revisions.delete(batchId);
      if (revision) await kv.delete(batchId, { previousSeq: revision }).catch(() => undefined);
    },
  };
}
