import { setTimeout as delay } from 'node:timers/promises';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

/** A pull that finds nothing ends after this, and the next one starts. */
const FETCH_EXPIRES_MS = 5_000;
/** After a failed pull (NATS away, consumer missing), the next try waits this long. */
const RETRY_AFTER_ERROR_MS = 1_000;

export interface PullLoop {
  /** Stops pulling; resolves once no pull is open and the last message taken was handed to `take`. */
  stop(): Promise<void>;
}

export interface PullLoopOptions {
  /** Waits until messages can be taken and answers how many (at most) the next pull asks for. */
  room: () => Promise<number>;
  /** Takes one message; the loop goes on to the next once it resolves. */
  take: (message: JsMsg) => Promise<void>;
  onError: (error: unknown) => void;
}

/**
 * Pulls from a durable consumer, one bounded fetch after another, until stopped. A message that
 * arrives while the loop stops is handed back at once (nak) for another replica.
 */
export function pullLoop(open: () => Promise<Consumer>, { room, take, onError }: PullLoopOptions): PullLoop {
  let stopping = false;
  let fetching: ConsumerMessages | undefined;
  const abort = new AbortController();
  const run = async () => {
    let consumer: Consumer | undefined;
    while (!stopping) {
      try {
        consumer ??= await open();
        const max = await room();
        if (stopping) break;
        fetching = await consumer.fetch({ max_messages: max, expires: FETCH_EXPIRES_MS });
        // stop() may have come while the fetch was being set up, and found the previous one.
        if (stopping) fetching.stop();
        for await (const message of fetching) {
          if (stopping) message.nak();
          else await take(message);
        }
      } catch (error) {
        consumer = undefined;
        if (stopping) break;
        onError(error);
        await delay(RETRY_AFTER_ERROR_MS, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  };
  const running = run();
  return {
    async stop() {
      stopping = true;
      abort.abort();
      fetching?.stop();
      await running;
    },
  };
}

/** A fixed number of slots for work under way; `room` waits for a free one. */
export function slots(size: number) {
  let used = 0;
  const waiters: (() => void)[] = [];
  return {
    async room(): Promise<number> {
      while (used >= size) await new Promise<void>((resolve) => waiters.push(resolve));
      return size - used;
    },
    take(): void {
      used++;
    },
    release(): void {
      used--;
      waiters.shift()?.();
    },
  };
}
