import { bytesInCommit, EMPTY_COMMIT_BYTES } from './commit.js';
import type { EventStore } from './event-store.js';

export interface OutcomeCommitter<E> {
  /** Resolves once the outcome is stored, in one commit with the others of its subject that came meanwhile. */
  commit(outcome: E): Promise<void>;
  /** Stores everything buffered now. */
  flush(): Promise<void>;
}

export interface OutcomeCommitterOptions {
  /** How long an outcome may wait for company before its commit is sent. */
  maxDelayMs?: number;
  maxEventsPerCommit?: number;
  /** Hears the size of every commit sent (events in it): a metric of how well outcomes group. */
  onCommit?: (events: number) => void;
}

interface Pending<E> {
  id: string;
  events: E[];
  bytes: number;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Groups outcomes (facts appended without an expected sequence, such as a batch's item outcomes)
 * into one message per subject every few milliseconds: message count, not event count, is what
 * JetStream charges for. Commits are pipelined (never awaited one by one); each outcome stays
 * idempotent on its own in `evolve`, and a repeated commit is dropped by its Nats-Msg-Id.
 */
export function createOutcomeCommitter<E>(
  store: EventStore<E>,
  options: OutcomeCommitterOptions = {},
): OutcomeCommitter<E> {
  const { aggregate } = store;
  const maxDelayMs = options.maxDelayMs ?? 5;
  const maxEvents = options.maxEventsPerCommit ?? 1000;
  const buffers = new Map<string, Pending<E>>();
  let timer: NodeJS.Timeout | undefined;

  function send(subject: string): Promise<void> {
    const pending = buffers.get(subject);
    if (!pending) return Promise.resolve();
    buffers.delete(subject);
    options.onCommit?.(pending.events.length);
    return store.append(pending.id, pending.events).then(
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
      const bytes = bytesInCommit(outcome);
      const id = aggregate.idOf(outcome);
      const subject = aggregate.subjectOf(id, aggregate.channelOf(outcome));
      if ((buffers.get(subject)?.bytes ?? 0) + bytes > store.maxCommitBytes) void send(subject);
      const pending = buffers.get(subject) ?? { id, events: [], bytes: EMPTY_COMMIT_BYTES, waiters: [] };
      buffers.set(subject, pending);
      pending.events.push(outcome);
      pending.bytes += bytes;
      const stored = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
      if (pending.events.length >= maxEvents) void send(subject);
      else timer ??= setTimeout(() => void flush(), maxDelayMs);
      return stored;
    },
    flush,
  };
}
