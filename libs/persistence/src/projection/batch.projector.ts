import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource, QueryRunner } from 'typeorm';
import type { BatchEvent, Names } from '@batch/contracts';
import { inSpan, SpanKind, traceContextOf } from '@batch/messaging';
import { inTransaction } from '../sql.js';
import { projectBatchEvents } from './batch-events.projection.js';
import {
  BATCHES_PROJECTION,
  lockCheckpoint,
  readCheckpoint,
  saveCheckpoint,
} from './projection-checkpoint.js';
import { applyOrSetAside, MalformedCommitError, type CommitVerdict } from './set-aside.js';
import {
  deleteProjectionConsumer,
  openProjectionConsumer,
  type ProjectionConsumerSpec,
} from './projection-consumer.js';

/** What one transaction did. */
export interface AppliedBatch {
  /** Highest stream sequence of the batch: the projection's position now. */
  seq: number;
  messages: number;
  events: number;
  /** Messages at or below the stored checkpoint: acked, not applied again. */
  skipped: number;
  /** The server had nothing more for the projector when it delivered the last message. */
  atHead: boolean;
  /** The events this transaction applied (none of the skipped ones): what a progress report reads. */
  applied: readonly BatchEvent[];
}

export type RefusedCommit = { seq: number; subject: string } & Exclude<CommitVerdict, { kind: 'applied' }>;

export interface BatchProjectorOptions {
  ds: DataSource;
  nc: NatsConnection;
  names: Names;
  /** Names the checkpoint row. */
  name?: string;
  /** The projector's own durable consumer; `projection-<name>-<random>` unless given. */
  consumerName?: string;
  /** Messages (commits) applied per transaction at most. */
  batchSize?: number;
  /** Events per transaction at most, whatever the message count: bounds one statement's arrays. */
  maxEventsPerTransaction?: number;
  onApplied?: (applied: AppliedBatch) => void;
  /**
   * A batch that fails is applied again one commit at a time; one that fails then too (a lost
   * connection) is retried from the checkpoint after `retryDelayMs`, and this hears about it.
   */
  onError?: (error: unknown) => void;
  /** A commit PostgreSQL refused: stored with the refused text replaced, or set aside. */
  onRefused?: (refused: RefusedCommit) => void;
  retryDelayMs?: number;
}

export interface BatchProjector {
  /** Positions its consumer after the stored checkpoint and starts applying in the background. */
  start(): Promise<void>;
  /**
   * Stops fetching, waits for the transaction under way, removes its consumer and rejects pending
   * `caughtUp` calls.
   */
  stop(): Promise<void>;
  /** Resolves once the projection has applied the stream up to `seq`. */
  caughtUp(seq: number): Promise<void>;
}

/** The stored checkpoint went back (the tables were rebuilt): the consumer must start over from it. */
export class CheckpointBehindError extends Error {
  constructor(stored: number, delivered: number) {
    super(`the checkpoint (${stored}) is behind what this projector was delivered (${delivered})`);
    this.name = 'CheckpointBehindError';
  }
}

interface Received {
  message: JsMsg;
  /** Undefined when the message is not a JSON array: it cannot be applied, and is set aside. */
  events?: BatchEvent[];
}

function decode(message: JsMsg): Received {
  try {
    const events = message.json<unknown>();
    return Array.isArray(events) ? { message, events: events as BatchEvent[] } : { message };
  } catch {
    return { message };
  }
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const CONSUMER_NAME = /^[A-Za-z0-9_-]+$/;
/**
 * A fetch ends after this long, and what it holds is applied. The head of the stream is known by a
 * message's pending count, which NATS 2.9 can get wrong: right after the consumer was made again (a
 * failed transaction), the stream's last message came with `pending 1`, and its batch waited for
 * the fetch to expire (at 30 s the read model lagged that long).
 */
const FETCH_EXPIRES_MS = 5_000;

/**
 * Projects BATCH_EVENTS into `batches` and `batch_items`. Each projector reads the whole stream in
 * order through a consumer of its own and applies a batch of messages per transaction, which also
 * stores the last sequence applied; anything at or below that checkpoint is acked without being
 * applied again. So a crash at any point neither repeats an event nor skips one, and replicas may
 * run side by side: the checkpoint row's lock makes them take turns, and each applies only what
 * the others have not.
 */
export function createBatchProjector(options: BatchProjectorOptions): BatchProjector {
  const { ds, nc, names, onApplied, onError, onRefused } = options;
  const name = options.name ?? BATCHES_PROJECTION;
  const consumerName = options.consumerName ?? `projection-${name}-${randomBytes(4).toString('hex')}`;
  if (!CONSUMER_NAME.test(consumerName)) throw new RangeError(`bad consumer name ${consumerName}`);
  const batchSize = options.batchSize ?? 500;
  const maxEvents = options.maxEventsPerTransaction ?? 50_000;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const spec: ProjectionConsumerSpec = {
    stream: names.eventsStream,
    durable: consumerName,
    filter: names.allEvents,
    maxAckPending: Math.max(1_000, batchSize),
  };

  /** What the stored checkpoint is known to have reached: `caughtUp` answers from it. */
  let position = 0;
  /** The last sequence this consumer delivered and the projector dealt with. */
  let delivered = 0;
  const waiters = new Set<Waiter>();
  let stopping = false;
  let running: Promise<void> | undefined;
  let fetching: ConsumerMessages | undefined;
  let abort = new AbortController();

  function moveTo(seq: number): void {
    position = seq;
    for (const waiter of waiters)
      if (waiter.seq <= position) {
        waiters.delete(waiter);
        waiter.resolve();
      }
  }

  async function open(): Promise<Consumer> {
    const checkpoint = await readCheckpoint(ds, name);
    delivered = checkpoint;
    // The position may go back here: after a rebuild the tables hold less than they did.
    moveTo(checkpoint);
    return openProjectionConsumer(nc, spec, checkpoint);
  }

  /** Acks what a transaction dealt with and moves the projection's position past it. */
  function settled(batch: Received[], stored: number, applied: readonly BatchEvent[], skipped: number): void {
    // Not always the last one: a message whose ack was lost comes back after newer ones.
    const newest = Math.max(...batch.map(({ message }) => message.seq));
    for (const { message } of batch) message.ack();
    delivered = Math.max(delivered, newest);
    moveTo(Math.max(stored, newest));
    const atHead = batch.at(-1)!.message.info.pending === 0;
    onApplied?.({ seq: newest, messages: batch.length, events: applied.length, skipped, atHead, applied });
  }

  async function lockFresh(runner: QueryRunner, batch: Received[]) {
    const stored = await lockCheckpoint(runner, name);
    // The messages before this batch are in the tables, unless the tables were emptied since.
    if (stored < delivered) throw new CheckpointBehindError(stored, delivered);
    return { stored, fresh: batch.filter(({ message }) => message.seq > stored) };
  }

  /** The whole batch in one transaction with the checkpoint: the fast path. */
  async function applyTogether(batch: Received[]): Promise<void> {
    const { stored, applied, skipped } = await inTransaction(ds, async (runner) => {
      const { stored, fresh } = await lockFresh(runner, batch);
      const freshEvents = fresh.flatMap(({ message, events }) => {
        if (!events) throw new MalformedCommitError(message.seq);
        return events;
      });
      await projectBatchEvents(runner, freshEvents);
      if (fresh.length > 0)
        await saveCheckpoint(runner, name, Math.max(...fresh.map(({ message }) => message.seq)));
      return { stored, applied: freshEvents, skipped: batch.length - fresh.length };
    });
    settled(batch, stored, applied, skipped);
  }

  /**
   * One transaction per commit, so that a commit PostgreSQL refuses, or one that is not events at
   * all, is stored with the refused text replaced or set aside, and the rest of the log goes on.
   */
  async function applyOneByOne(batch: Received[]): Promise<void> {
    for (const received of batch) {
      const { message, events } = received;
      const { stored, verdict } = await inTransaction(ds, async (runner) => {
        const { stored, fresh } = await lockFresh(runner, [received]);
        if (fresh.length === 0) return { stored, verdict: undefined };
        const verdict = await applyOrSetAside(
          runner,
          name,
          { seq: message.seq, subject: message.subject, payload: message.data, events },
          (decoded) => projectBatchEvents(runner, decoded),
        );
        await saveCheckpoint(runner, name, message.seq);
        return { stored, verdict };
      });
      if (verdict && verdict.kind !== 'applied')
        onRefused?.({ seq: message.seq, subject: message.subject, ...verdict });
      settled(
        [received],
        stored,
        verdict && verdict.kind !== 'set-aside' ? (events ?? []) : [],
        verdict ? 0 : 1,
      );
    }
  }

  /** In a span continuing the trace of the first commit that carries one (the request that made it). */
  function apply(batch: Received[]): Promise<void> {
    const traced = batch.find(({ message }) => message.headers?.has('traceparent'));
    const parent = traceContextOf(traced?.message.headers);
    return inSpan(
      'project',
      { parent, kind: SpanKind.CONSUMER, attributes: { commits: batch.length } },
      async () => {
        try {
          await applyTogether(batch);
        } catch {
          // Bad data is dealt with commit by commit; a lost connection fails the first one again and is thrown.
          await applyOneByOne(batch);
        }
      },
    );
  }

  async function consume(consumer: Consumer): Promise<void> {
    while (!stopping) {
      fetching = await consumer.fetch({ max_messages: batchSize, expires: FETCH_EXPIRES_MS });
      // stop() may have come while the fetch was being set up, and found the previous one.
      if (stopping) fetching.stop();
      let batch: Received[] = [];
      let eventCount = 0;
      for await (const message of fetching) {
        if (stopping) break;
        const received = decode(message);
        batch.push(received);
        eventCount += received.events?.length ?? 0;
        // At the head of the stream there is nothing to wait for: apply what there is now.
        if (batch.length >= batchSize || eventCount >= maxEvents || message.info.pending === 0) {
          await apply(batch);
          batch = [];
          eventCount = 0;
        }
      }
      if (batch.length > 0 && !stopping) await apply(batch);
    }
  }

  async function run(first: Consumer): Promise<void> {
    let consumer: Consumer | undefined = first;
    while (!stopping) {
      try {
        consumer ??= await open();
        await consume(consumer);
      } catch (error) {
        // Messages fetched but not applied would come back out of order: start over from the checkpoint.
        consumer = undefined;
        fetching?.stop();
        if (stopping) break;
        onError?.(error);
        await delay(retryDelayMs, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  }

  return {
    async start() {
      if (running) throw new Error(`projector ${consumerName} is already running`);
      stopping = false;
      abort = new AbortController();
      running = run(await open());
    },
    async stop() {
      stopping = true;
      abort.abort();
      fetching?.stop();
      await running;
      running = undefined;
      for (const waiter of waiters) waiter.reject(new Error(`projector ${consumerName} stopped`));
      waiters.clear();
      await deleteProjectionConsumer(nc, spec);
    },
    caughtUp(seq) {
      if (seq <= position) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.add({ seq, resolve, reject }));
    },
  };
}
