import {
  JetStreamApiCodes,
  JetStreamApiError,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Names } from '@batch/contracts';
import { batchIdOfWorkConsumer, workConsumerName, workItemsOf } from '@batch/messaging';

/** A work message this worker holds until `done()`: heartbeat it every `ackWaitMs / 5`. */
export interface HeldMessage {
  message: JsMsg;
  ackWaitMs: number;
  /**
   * Held back (its batch is paused): it keeps being held, but no longer takes room, so the worker
   * pulls other batches' work meanwhile. `park(false)` takes the room again.
   */
  park(parked: boolean): void;
  done(): void;
}

export interface WorkSources {
  start(deliver: (held: HeldMessage) => void): Promise<void>;
  /**
   * Stops pulling, and resolves once no pull of this worker is open on the server: only then may a
   * message be handed back (nak). NATS 2.9 redelivers a nak'd message to an open pull whose
   * receiver has gone, and then delivers it a second time as if new: two workers generate it.
   * Messages arriving meanwhile are delivered to the caller, which hands them back too.
   */
  stop(): Promise<void>;
}

export interface WorkSourcesOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: Names;
  logger: Logger;
  /**
   * Items held at once (in process or waiting for a slot), counted by the messages' item headers: a
   * message is taken while there is room, so a worker may hold up to a message more.
   */
  maxHeld: number;
  /** Extra items a batch holding none may take when `maxHeld` is reached. */
  burst: number;
  /** How often the batches with work are listed (besides the orchestrator's word on new work). */
  listEveryMs?: number;
}

interface Source {
  batchId: string;
  /** Messages not delivered yet, as last listed (or announced). */
  pending: number;
  /** Messages delivered and not acknowledged: some may come back from a worker that is gone. */
  ackPending: number;
  consumer?: Promise<{ consumer: Consumer; ackWaitMs: number }>;
  /** Items in its last message: how much room a message of it is expected to take. */
  itemsPerMessage?: number;
  /** A pull of this worker is open on it (at most one per batch at a time). */
  pulling: boolean;
}

/** JetStream's own default, for a consumer made without one. */
const DEFAULT_ACK_WAIT_NANOS = 30_000_000_000;

/**
 * A worker takes messages while it holds fewer than this, whatever their items: with small messages
 * and few slots, the next messages are at hand when one ends (a fast provider waits for no pull).
 */
const MIN_HELD_MESSAGES = 8;

/** A pull waits this long for messages not there yet, then gives back its room. */
const FETCH_EXPIRES_MS = 1_000;

/** The batch's consumer (or the stream) is gone: the batch ended, or its consumer was never made. */
const isGone = (error: unknown) =>
  (error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.ConsumerNotFound || error.code === JetStreamApiCodes.StreamNotFound)) ||
  (error instanceof Error && /consumer (deleted|not found)/i.test(error.message));

/**
 * Where a worker's work comes from: each batch's own consumer, pulled in turn. A batch gets its share
 * of the items this worker may hold, and a batch holding none may take some even when the share is
 * used up, so one batch's window never sits between another batch and the workers. Batches with work
 * are known from the orchestrator's word (`batch.ready.<id>`) and a listing every second, which also
 * finds messages a worker that died left to be delivered again.
 */
export function workSources(options: WorkSourcesOptions): WorkSources {
  const { nc, js, jsm, names, logger, maxHeld, burst } = options;
  const listEveryMs = options.listEveryMs ?? 1_000;
  const sources = new Map<string, Source>();
  const heldBy = new Map<string, number>();
  let held = 0;
  let reserved = 0;
  let heldMessages = 0;
  let reservedMessages = 0;
  /** Room in messages below MIN_HELD_MESSAGES, whatever the items: small messages keep flowing. */
  const messageRoom = () => MIN_HELD_MESSAGES - heldMessages - reservedMessages;
  let turn = 0;
  let stopping = false;
  let deliver: (held: HeldMessage) => void = () => undefined;
  let signals: Subscription | undefined;
  let lister: NodeJS.Timeout | undefined;
  let listing: Promise<void> | undefined;
  /** The pulls under way; each ends when it has its messages or expires (FETCH_EXPIRES_MS). */
  const pulls = new Set<Promise<void>>();

  const sourceOf = (batchId: string): Source => {
    let source = sources.get(batchId);
    if (!source) {
      source = { batchId, pending: 0, ackPending: 0, pulling: false };
      sources.set(batchId, source);
    }
    return source;
  };

  function consumerOf(source: Source): Promise<{ consumer: Consumer; ackWaitMs: number }> {
    const found =
      source.consumer ??
      js.consumers.get(names.workStream, workConsumerName(source.batchId)).then(async (consumer) => ({
        consumer,
        ackWaitMs: ((await consumer.info(true)).config.ack_wait ?? DEFAULT_ACK_WAIT_NANOS) / 1_000_000,
      }));
    source.consumer = found;
    return found;
  }

  /**
   * Pulls messages worth `items` items (as many as its last message's size says fit, one while its
   * size is not known yet), and at least `messages` messages.
   */
  function pull(source: Source, items: number, messages: number): void {
    const byItems =
      items <= 0 ? 0 : source.itemsPerMessage ? Math.max(1, Math.floor(items / source.itemsPerMessage)) : 1;
    const count = Math.max(byItems, messages);
    if (count === 0) return;
    const pulled = pullNow(source, count);
    pulls.add(pulled);
    void pulled.finally(() => pulls.delete(pulled));
  }

  async function pullNow(source: Source, count: number): Promise<void> {
    source.pulling = true;
    const expected = source.itemsPerMessage ?? 1;
    reserved += count * expected;
    reservedMessages += count;
    let left = count;
    try {
      const { consumer, ackWaitMs } = await consumerOf(source);
      if (stopping) return;
      const fetching: ConsumerMessages = await consumer.fetch({
        max_messages: count,
        expires: FETCH_EXPIRES_MS,
      });
      for await (const message of fetching) {
        left--;
        reserved -= expected;
        reservedMessages--;
        source.pending = Math.max(0, message.info.pending);
        const items = workItemsOf(message.headers);
        source.itemsPerMessage = items;
        // Whether the message takes room now: from its delivery until it is parked or done.
        let takesRoom = false;
        let released = false;
        const takeRoom = (taking: boolean) => {
          if (takesRoom === taking || released) return;
          takesRoom = taking;
          held += taking ? items : -items;
          heldMessages += taking ? 1 : -1;
          const mine = (heldBy.get(source.batchId) ?? 0) + (taking ? items : -items);
          if (mine === 0) heldBy.delete(source.batchId);
          else heldBy.set(source.batchId, mine);
          if (!taking) pump();
        };
        takeRoom(true);
        deliver({
          message,
          ackWaitMs,
          park: (parked) => takeRoom(!parked),
          done: () => {
            takeRoom(false);
            released = true;
          },
        });
      }
      // Fewer than asked: nothing more is waiting there now.
      if (left > 0) source.pending = 0;
    } catch (error) {
      if (isGone(error)) sources.delete(source.batchId);
      else logger.warn({ err: error, batchId: source.batchId }, 'pulling work failed');
      source.consumer = undefined;
    } finally {
      reserved -= left * expected;
      reservedMessages -= left;
      source.pulling = false;
      if (!stopping) setImmediate(pump);
    }
  }

  /** Starts pulls in turn while there is room: batches with undelivered work first, then possible redeliveries. */
  function pump(): void {
    if (stopping) return;
    const idle = [...sources.values()].filter((source) => !source.pulling);
    const active = [...sources.values()].filter(
      (source) => source.pending > 0 || (heldBy.get(source.batchId) ?? 0) > 0,
    ).length;
    const share = Math.max(1, Math.ceil(maxHeld / Math.max(1, active)));
    const inTurn = [
      ...idle.slice(turn % Math.max(1, idle.length)),
      ...idle.slice(0, turn % Math.max(1, idle.length)),
    ];
    turn++;
    for (const source of inTurn) {
      const mine = heldBy.get(source.batchId) ?? 0;
      const room = maxHeld + (mine === 0 ? burst : 0) - held - reserved;
      if (room <= 0 && messageRoom() <= 0) continue;
      if (source.pending > 0)
        pull(source, Math.min(room, Math.max(1, share - mine)), messageRoom() > 0 ? 1 : 0);
    }
    // Work left by a worker that is gone comes back after its ack wait, to whoever pulls then.
    if (maxHeld - held - reserved > 0 || messageRoom() > 0)
      for (const source of inTurn)
        if (!source.pulling && source.pending === 0 && source.ackPending > (heldBy.get(source.batchId) ?? 0))
          pull(source, 1, 0);
  }

  async function list(): Promise<void> {
    const seen = new Set<string>();
    try {
      for await (const info of jsm.consumers.list(names.workStream)) {
        const batchId = batchIdOfWorkConsumer(info.name);
        if (batchId === undefined) continue;
        seen.add(batchId);
        const source = sourceOf(batchId);
        if (!source.pulling) source.pending = info.num_pending;
        source.ackPending = info.num_ack_pending;
      }
      for (const [batchId, source] of sources)
        if (!seen.has(batchId) && !source.pulling) sources.delete(batchId);
      pump();
    } catch (error) {
      // Before the orchestrator first made the work stream there is nothing to list.
      if (isGone(error)) logger.debug('no work stream yet');
      else logger.warn({ err: error }, 'listing the batches with work failed');
    }
  }

  return {
    async start(deliverTo) {
      deliver = deliverTo;
      const prefix = names.allWorkReady.slice(0, -1);
      signals = nc.subscribe(names.allWorkReady, {
        callback: (error, message) => {
          if (error || stopping) return;
          const source = sourceOf(message.subject.slice(prefix.length));
          source.pending = Math.max(source.pending, 1);
          pump();
        },
      });
      await list();
      lister = setInterval(() => {
        listing ??= list().finally(() => (listing = undefined));
      }, listEveryMs);
    },
    async stop() {
      stopping = true;
      clearInterval(lister);
      signals?.unsubscribe();
      await listing;
      await Promise.all([...pulls]);
    },
  };
}
