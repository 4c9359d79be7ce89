import { jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BatchEvent, Names } from '@batch/contracts';

export interface EventWatcher {
  /** Every event of every batch, in stream order, as they arrive. */
  events: BatchEvent[];
  /** Resolves as soon as `condition` holds (checked on every new commit); rejects after the timeout. */
  until(condition: (events: BatchEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Follows the event stream from its start with an ordered consumer: tests wait for events, never sleep. */
export async function watchEvents(nc: NatsConnection, names: Names): Promise<EventWatcher> {
  const consumer = await jetstream(nc).consumers.get(names.eventsStream, {
    filter_subjects: names.allEvents,
  });
  const messages: ConsumerMessages = await consumer.consume({ max_bytes: 8 * 1024 * 1024, expires: 2_000 });
  const events: BatchEvent[] = [];
  const waiters = new Set<() => void>();
  void (async () => {
    for await (const message of messages) {
      events.push(...(message.json() as BatchEvent[]));
      waiters.forEach((check) => check());
    }
  })();
  return {
    events,
    until(condition, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`condition not met after ${timeoutMs} ms (${events.length} events seen)`));
        }, timeoutMs);
        const check = () => {
          if (!condition(events)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    close: async () => {
      await messages.close();
    },
  };
}
