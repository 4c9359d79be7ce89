import type { KV } from '@nats-io/kv';

/**
 * One replica at a time does a thing (dispatches a batch, turns facts into notifications): it holds
 * the thing's key in a KV bucket whose entries expire unless renewed. Creation and renewal are
 * compare-and-set, so two replicas never both hold it.
 */
export interface KvLease {
  /** Takes or renews the hold; false while another replica holds it. */
  hold(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
}

export function kvLease(kv: KV, replicaId: string): KvLease {
  const revisions = new Map<string, number>();
  /** Writes the hold, taking a free key or renewing our own: either way its expiry starts again. */
  async function take(key: string): Promise<boolean> {
    const entry = await kv.get(key);
    const free = !entry || entry.operation !== 'PUT';
    if (!free && entry.string() !== replicaId) return false;
    try {
      revisions.set(
        key,
        free ? await kv.create(key, replicaId) : await kv.update(key, replicaId, entry.revision),
      );
      return true;
    } catch {
      return false;
    }
  }
  return {
    async hold(key) {
      const revision = revisions.get(key);
      if (revision)
        try {
          revisions.set(key, await kv.update(key, replicaId, revision));
          return true;
        } catch {
          // Expired meanwhile, or taken by another replica: look again.
        }
      revisions.delete(key);
      return take(key);
    },
    async release(key) {
      const revision = revisions.get(key);
      revisions.delete(key);
      if (revision) await kv.delete(key, { previousSeq: revision }).catch(() => undefined);
    },
  };
}
