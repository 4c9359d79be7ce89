import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Names, Notification, StoredNotification } from '@batch/contracts';
import { notificationSubject, userKey } from '@batch/messaging';
import { JETSTREAM, JETSTREAM_MANAGER, LOGGER, NAMES, type Logger } from '@batch/platform';
import { NOTIFICATION_STREAMS } from './notification-streams.js';

/** Hears each live notification of a user's subject, with the user it is stored for. */
export type Listener = (notification: Notification, userId: string) => void;

/** What a replay did: how many it replayed, or why it could not (the client refetches over REST). */
export type Replayed = { replayed: number; resync?: undefined } | { replayed: 0; resync: string };

/** A stored notification as a client receives it (its user stays on the server). */
function received(message: JsMsg): { userId: string; notification: Notification } {
  const { userId, ...rest } = message.json<StoredNotification>();
  return { userId, notification: { seq: message.seq, ...rest } as Notification };
}

const isNoMessage = (error: unknown) =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound;

/**
 * This replica's view of the NOTIFICATIONS stream: one ordered consumer of every user's subject
 * from the moment the replica starts, handed to the sockets of each user (one consumer however
 * many sockets), and replays of one user's subject from a sequence for the sockets that resume.
 */
@Injectable()
export class NotificationFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly listeners = new Map<string, Set<Listener>>();
  private live: ConsumerMessages | undefined;
  private following: Promise<void> | undefined;
  /** The newest sequence this replica has seen (or the stream's last at start). */
  lastSeq = 0;

  constructor(
    @Inject(JETSTREAM) private readonly js: JetStreamClient,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    @Inject(NAMES) private readonly names: Names,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(NOTIFICATION_STREAMS) _streams: true,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const stream = this.names.notificationsStream;
    this.lastSeq = (await this.jsm.streams.info(stream)).state.last_seq;
    const consumer = await this.js.consumers.get(stream, {
      filter_subjects: this.names.allNotifications,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.lastSeq + 1,
    });
    this.live = await consumer.consume();
    this.following = this.follow(this.live);
  }

  async onApplicationShutdown(): Promise<void> {
    this.live?.stop();
    await this.following;
  }

  /** Hands `listener` every live notification of `userId`, from now on; answers how to stop. */
  listen(userId: string, listener: Listener): () => void {
    const key = userKey(userId);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }

  /**
   * Hands `onMessage` every notification of `userId` after `afterSeq` that the stream holds, up to
   * the newest one at the time of the call, in order; stops early when it answers false. Anything
   * newer comes through `listen`. A sequence older than the stream's retention, or newer than the
   * stream (it was reset), cannot be replayed: the answer says why.
   */
  async replay(
    userId: string,
    afterSeq: number,
    onMessage: (notification: Notification) => boolean,
  ): Promise<Replayed> {
    const stream = this.names.notificationsStream;
    const { state } = await this.jsm.streams.info(stream);
    if (afterSeq > state.last_seq)
      return {
        replayed: 0,
        resync: `sequence ${afterSeq} is newer than the stream (${state.last_seq}): it was reset`,
      };
    if (afterSeq + 1 < state.first_seq)
      return {
        replayed: 0,
        resync: `notifications after ${afterSeq} are no longer retained (oldest is ${state.first_seq})`,
      };
    const subject = notificationSubject(this.names, userId);
    const newest = await this.jsm.streams
      .getMessage(stream, { last_by_subj: subject })
      .catch((error: unknown) => {
        if (isNoMessage(error)) return undefined;
        throw error;
      });
    if (!newest || newest.seq <= afterSeq) return { replayed: 0 };
    const consumer = await this.js.consumers.get(stream, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: afterSeq + 1,
    });
    const messages = await consumer.consume();
    let replayed = 0;
    try {
      for await (const message of messages) {
        const { userId: owner, notification } = received(message);
        // The subject is a hash of the user: the stored user decides.
        if (owner === userId) {
          replayed += 1;
          if (!onMessage(notification)) break;
        }
        if (message.seq >= newest.seq) break;
      }
    } finally {
      messages.stop();
    }
    return { replayed };
  }

  private async follow(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      this.lastSeq = Math.max(this.lastSeq, message.seq);
      const key = message.subject.slice(message.subject.lastIndexOf('.') + 1);
      const listeners = this.listeners.get(key);
      if (!listeners) continue;
      try {
        const { userId, notification } = received(message);
        for (const listener of listeners) listener(notification, userId);
      } catch (error) {
        this.logger.warn({ err: error, seq: message.seq }, 'a notification that is not JSON was skipped');
      }
    }
  }
}
