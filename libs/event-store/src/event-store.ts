import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BatchEvent, EventStream, Names } from '@batch/contracts';
import { ensureStream } from '@batch/messaging';
import { commitId, decodeCommit, encodeCommit, streamOfCommit, type StoredCommit } from './commit.js';
import { CommitTooLargeError, ConcurrencyError, isWrongLastSequence } from './errors.js';
import { defaultEventStreamSettings, eventStreamConfig, type EventStreamSettings } from './streams.js';

/** A replay that received nothing for this long asks whether anything is left to deliver. */
const READ_IDLE_MS = 1_000;

export interface AppendOptions {
  /**
   * Stream sequence of the batch's last lifecycle message as the decision saw it (0: none yet).
   * Only for lifecycle commits: a later lifecycle append makes this one a ConcurrencyError.
   */
  expectedLastSeq?: number;
  /** Overrides the commit's derived Nats-Msg-Id. */
  msgId?: string;
}

export interface AppendResult {
  seq: number;
  /** JetStream had already stored a commit with this Nats-Msg-Id; nothing was appended. */
  duplicate: boolean;
}

export interface EventStore {
  readonly names: Names;
  readonly maxCommitBytes: number;
  /** Creates or updates the stream; idempotent. */
  ensure(): Promise<void>;
  /**
   * Appends events as one commit (one message). Returns once JetStream has stored it; start many
   * and await them together to pipeline.
   */
  append(batchId: string, events: readonly BatchEvent[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * The batch's commits from `fromSeq` on, in stream order, up to the last one at the time of the
   * call; `only` restricts the read to one of its two subjects.
   */
  read(batchId: string, fromSeq?: number, only?: EventStream): AsyncIterable<StoredCommit>;
  /** Removes every event of a batch (cleanup of ended batches). */
  purge(batchId: string): Promise<number>;
}

export interface EventStoreOptions {
  names: Names;
  stream?: Partial<EventStreamSettings>;
  /**
   * Bytes the replay asks for ahead of the fold. Bounded in bytes, not messages: a pull of many
   * large commits would overrun the client's pending limit and stall the ordered consumer.
   */
  readBufferBytes?: number;
}

export async function createEventStore(nc: NatsConnection, options: EventStoreOptions): Promise<EventStore> {
  const settings = { ...defaultEventStreamSettings, ...options.stream };
  const { names } = options;
  const js: JetStreamClient = jetstream(nc);
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const maxCommitBytes =
    Math.min(settings.maxMessageBytes, nc.info?.max_payload ?? settings.maxMessageBytes) - 1024;
  const readBufferBytes = options.readBufferBytes ?? 8 * 1024 * 1024;

  async function append(batchId: string, events: readonly BatchEvent[], appendOptions: AppendOptions = {}) {
    const stream = streamOfCommit(events);
    if (events[0]!.batchId !== batchId)
      throw new RangeError(`events of ${events[0]!.batchId} appended to ${batchId}`);
    const payload = encodeCommit(events);
    if (payload.length > maxCommitBytes) throw new CommitTooLargeError(payload.length, maxCommitBytes);
    const { expectedLastSeq } = appendOptions;
    if (expectedLastSeq !== undefined && stream !== 'lifecycle')
      throw new RangeError('an expected sequence guards lifecycle commits only');
    try {
      const ack = await js.publish(names.eventSubject(batchId, stream), payload, {
        msgID: appendOptions.msgId ?? commitId(events),
        ...(expectedLastSeq === undefined ? {} : { expect: { lastSubjectSequence: expectedLastSeq } }),
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      if (isWrongLastSequence(error))
        throw new ConcurrencyError(batchId, expectedLastSeq ?? 0, { cause: error });
      throw error;
    }
  }

  async function* read(batchId: string, fromSeq = 1, only?: EventStream): AsyncGenerator<StoredCommit> {
    const consumer = await js.consumers.get(names.eventsStream, {
      filter_subjects: only ? names.eventSubject(batchId, only) : names.batchEvents(batchId),
      ...(fromSeq > 1 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq } : {}),
    });
    const { num_pending: pending } = await consumer.info(true);
    const messages =
      pending === 0 ? undefined : await consumer.consume({ max_bytes: readBufferBytes, expires: 2_000 });
    // Events purged while they were read (a cleanup) never come: when nothing has arrived for a
    // while, ask the consumer whether anything is left to deliver, rather than wait forever and hold
    // up every later call on the batch.
    let lastSeq = 0;
    let waitingSince = Date.now();
    let caller = false;
    const watchdog = setInterval(() => {
      if (caller || Date.now() - waitingSince < READ_IDLE_MS) return;
      // Idle and waiting: nothing is buffered here. Nothing left on the server either: done.
      const seenAtCheck = lastSeq;
      consumer.info(false).then(
        (info) => {
          if (!caller && lastSeq === seenAtCheck && info.num_pending === 0) void messages?.close();
        },
        () => undefined,
      );
    }, READ_IDLE_MS);
    try {
      if (!messages) return;
      for await (const message of messages) {
        lastSeq = message.seq;
        caller = true;
        yield {
          seq: message.seq,
          stream: message.subject.endsWith('.lifecycle') ? 'lifecycle' : 'items',
          events: decodeCommit(message.data),
        };
        caller = false;
        waitingSince = Date.now();
        if (message.info.pending === 0) break;
      }
    } finally {
      clearInterval(watchdog);
      await messages?.close();
      // Ephemeral consumers would otherwise linger on the server until their inactivity threshold.
      consumer.delete().catch(() => undefined);
    }
  }

  async function purge(batchId: string): Promise<number> {
    const { purged } = await jsm.streams.purge(names.eventsStream, { filter: names.batchEvents(batchId) });
    return purged;
  }

  return {
    names,
    maxCommitBytes,
    ensure: () => ensureStream(jsm, eventStreamConfig(names, settings)),
    append,
    read,
    purge,
  };
}
