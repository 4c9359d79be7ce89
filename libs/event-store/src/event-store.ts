import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureStream, traceHeaders } from '@batch/messaging';
import type { AggregateType } from './aggregate-type.js';
import { channelOfCommit, commitId, decodeCommit, encodeCommit, type StoredCommit } from './commit.js';
import { CommitTooLargeError, ConcurrencyError, isWrongLastSequence } from './errors.js';
import { defaultEventStreamSettings, eventStreamConfig, type EventStreamSettings } from './streams.js';

/** A replay that received nothing for this long asks whether anything is left to deliver. */
const READ_IDLE_MS = 1_000;

export interface AppendOptions {
  /**
   * Stream sequence of the aggregate's last commit on its guarded channel as the decision saw it
   * (0: none yet). Only for commits on that channel: a later one there makes this a ConcurrencyError.
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

/** The log of one aggregate type: each aggregate's commits, appended and replayed by its id. */
export interface EventStore<E, Channel extends string = string> {
  readonly aggregate: AggregateType<E, Channel>;
  readonly maxCommitBytes: number;
  /** Creates or updates the stream; idempotent. */
  ensure(): Promise<void>;
  /**
   * Appends events as one commit (one message). Returns once JetStream has stored it; start many
   * and await them together to pipeline.
   */
  append(id: string, events: readonly E[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * The aggregate's commits from `fromSeq` on, in stream order, up to the last one at the time of
   * the call; `only` restricts the read to one of its channels.
   */
  read(id: string, fromSeq?: number, only?: Channel): AsyncIterable<StoredCommit<E, Channel>>;
  /**
   * The aggregate's first commit on `channel` at or after stream sequence `fromSeq`, or undefined:
   * one request, for reading a few commits where a replay would read too many.
   */
  readOne(id: string, fromSeq: number, channel: Channel): Promise<StoredCommit<E, Channel> | undefined>;
  /** Removes every event of an aggregate (cleanup of ended ones). */
  purge(id: string): Promise<number>;
}

export interface EventStoreOptions<E, Channel extends string> {
  aggregate: AggregateType<E, Channel>;
  stream?: Partial<EventStreamSettings>;
  /**
   * Bytes the replay asks for ahead of the fold. Bounded in bytes, not messages: a pull of many
   * large commits would overrun the client's pending limit and stall the ordered consumer.
   */
  readBufferBytes?: number;
}

export async function createEventStore<E, Channel extends string>(
  nc: NatsConnection,
  options: EventStoreOptions<E, Channel>,
): Promise<EventStore<E, Channel>> {
  const settings = { ...defaultEventStreamSettings, ...options.stream };
  const { aggregate } = options;
  const js: JetStreamClient = jetstream(nc);
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const maxCommitBytes =
    Math.min(settings.maxMessageBytes, nc.info?.max_payload ?? settings.maxMessageBytes) - 1024;
  const readBufferBytes = options.readBufferBytes ?? 8 * 1024 * 1024;

  async function append(id: string, events: readonly E[], appendOptions: AppendOptions = {}) {
    const channel = channelOfCommit(aggregate, events);
    const owner = aggregate.idOf(events[0]!);
    if (owner !== id) throw new RangeError(`events of ${owner} appended to ${id}`);
    const payload = encodeCommit(events);
    if (payload.length > maxCommitBytes) throw new CommitTooLargeError(payload.length, maxCommitBytes);
    const { expectedLastSeq } = appendOptions;
    if (expectedLastSeq !== undefined && channel !== aggregate.guarded)
      throw new RangeError(`an expected sequence guards ${aggregate.guarded} commits only`);
    // The commit carries the trace of what made it: a projection continues that trace.
    const headers = traceHeaders();
    try {
      const ack = await js.publish(aggregate.subjectOf(id, channel), payload, {
        msgID: appendOptions.msgId ?? commitId(aggregate, events),
        ...(headers ? { headers } : {}),
        ...(expectedLastSeq === undefined ? {} : { expect: { lastSubjectSequence: expectedLastSeq } }),
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      if (isWrongLastSequence(error)) throw new ConcurrencyError(id, expectedLastSeq ?? 0, { cause: error });
      throw error;
    }
  }

  async function* read(id: string, fromSeq = 1, only?: Channel): AsyncGenerator<StoredCommit<E, Channel>> {
    const channelAt = channelBySubject(aggregate, id);
    const consumer = await js.consumers.get(aggregate.streamName, {
      filter_subjects: only ? aggregate.subjectOf(id, only) : aggregate.eventsOf(id),
      ...(fromSeq > 1 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq } : {}),
    });
    const { num_pending: pending } = await consumer.info(true);
    const messages =
      pending === 0 ? undefined : await consumer.consume({ max_bytes: readBufferBytes, expires: 2_000 });
    // Events purged while they were read (a cleanup) never come: when nothing has arrived for a
    // while, ask the consumer whether anything is left to deliver, rather than wait forever and hold
    // up every later call on the aggregate.
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
          channel: channelAt(message.subject),
          events: decodeCommit<E>(message.data),
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

  async function readOne(id: string, fromSeq: number, channel: Channel) {
    const message = await jsm.direct.getMessage(aggregate.streamName, {
      seq: fromSeq,
      next_by_subj: aggregate.subjectOf(id, channel),
    });
    return message ? { seq: message.seq, channel, events: decodeCommit<E>(message.data) } : undefined;
  }

  async function purge(id: string): Promise<number> {
    const { purged } = await jsm.streams.purge(aggregate.streamName, { filter: aggregate.eventsOf(id) });
    return purged;
  }

  return {
    aggregate,
    maxCommitBytes,
    ensure: () => ensureStream(jsm, eventStreamConfig(aggregate, settings)),
    append,
    read,
    readOne,
    purge,
  };
}

/** Tells which of one aggregate's channels a message's subject is. */
function channelBySubject<Channel extends string>(
  aggregate: AggregateType<unknown, Channel>,
  id: string,
): (subject: string) => Channel {
  const bySubject = new Map(aggregate.channels.map((channel) => [aggregate.subjectOf(id, channel), channel]));
  return (subject) => {
    const channel = bySubject.get(subject);
    if (channel === undefined) throw new RangeError(`${subject} is not a channel of ${id}`);
    return channel;
  };
}
