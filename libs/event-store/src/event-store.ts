import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamError,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BatchEvent, EventStream, Names } from '@batch/contracts';
import { commitId, decodeCommit, encodeCommit, streamOfCommit, type StoredCommit } from './commit.js';
import { CommitTooLargeError, ConcurrencyError, isWrongLastSequence } from './errors.js';
import {
  defaultEventStreamSettings,
  ensureStream,
  eventStreamConfig,
  type EventStreamSettings,
} from './streams.js';

/** How long one pull of a replay waits for messages that are pending but not yet delivered. */
const READ_EXPIRES_MS = 2_000;

const isPullFull = (error: unknown): boolean =>
  error instanceof JetStreamError &&
  (error as JetStreamError & { code?: unknown }).code === 409 &&
  /exceeds maxbytes/i.test(error.message);

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
  // A pull must hold the largest commit whole, or the server refuses to deliver it at all.
  const pullBytes = Math.max(options.readBufferBytes ?? 8 * 1024 * 1024, maxCommitBytes + 64 * 1024);

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
    try {
      let { num_pending: pending } = await consumer.info(true);
      while (pending > 0) {
        const messages = await consumer.fetch({ max_bytes: pullBytes, expires: READ_EXPIRES_MS });
        let received = 0;
        try {
          for await (const message of messages) {
            received++;
            pending = message.info.pending;
            yield {
              seq: message.seq,
              stream: message.subject.endsWith('.lifecycle') ? 'lifecycle' : 'items',
              events: decodeCommit(message.data),
            };
            if (pending === 0) break;
          }
        } catch (error) {
          // The next commit did not fit in what was left of this pull: the next pull takes it.
          if (!isPullFull(error)) throw error;
        }
        // Nothing came although more was pending: the events were purged meanwhile (a cleanup).
        // Ask again rather than wait for them forever, holding up every later call on the batch.
        if (received === 0) ({ num_pending: pending } = await consumer.info(false));
      }
    } finally {
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
