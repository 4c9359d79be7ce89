import type { ItemOutcome } from '@batch/contracts';
import type { EventStore } from './event-store.js';

export interface OutcomeCommitter {
  /** Resolves once the outcome is stored, in one commit with the others of its batch that came meanwhile. */
  commit(outcome: ItemOutcome): Promise<void>;
  /** Stores everything buffered now. */
  flush(): Promise<void>;
}

export interface OutcomeCommitterOptions {
  /** How long an outcome may wait for company before its commit is sent. */
  maxDelayMs?: number;
  maxEventsPerCommit?: number;
}

interface Pending {
  events: ItemOutcome[];
  bytes: number;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Groups item outcomes into one message per batch every few milliseconds: message count, not event
 * count, is what JetStream charges for. Commits are pipelined (never awaited one by one); each
 * outcome stays idempotent on its own in `evolve`, and a repeated commit is dropped by its Nats-Msg-Id.
 */
export function createOutcomeCommitter(
  store: EventStore,
  options: OutcomeCommitterOptions = {},
): OutcomeCommitter {
  const maxDelayMs = options.maxDelayMs ?? 5;
  const maxEvents = options.maxEventsPerCommit ?? 1000;
  const buffers = new Map<string, Pending>();
  let timer: NodeJS.Timeout | undefined;

  function send(batchId: string): Promise<void> {
    const pending = buffers.get(batchId);
    if (!pending) return Promise.resolve();
    buffers.delete(batchId);
    return store.append(batchId, pending.events).then(
      () => pending.waiters.forEach((waiter) => waiter.resolve()),
      (error: unknown) => pending.waiters.forEach((waiter) => waiter.reject(error)),
    );
  }

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    return Promise.all([...buffers.keys()].map(send)).then(() => undefined);
  }

  return {
    commit(outcome) {
      const bytes = Buffer.byteLength(JSON.stringify(outcome)) + 1;
      const { batchId } = outcome;
      if ((buffers.get(batchId)?.bytes ?? 0) + bytes > store.maxCommitBytes) void send(batchId);
      const pending = buffers.get(batchId) ?? { events: [], bytes: 2, waiters: [] };
      buffers.set(batchId, pending);
      pending.events.push(outcome);
      pending.bytes += bytes;
      const stored = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
      if (pending.events.length >= maxEvents) void send(batchId);
      else timer ??= setTimeout(() => void flush(), maxDelayMs);
      return stored;
    },
    flush,
  };
}
