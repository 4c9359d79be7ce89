import { createHash } from 'node:crypto';
import { StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Names, StoredNotification } from '@batch/contracts';
import { ensureStream } from './jetstream.js';

const NANOS_PER_MS = 1_000_000;

export interface NotificationRetention {
  replicas: number;
  /** Notifications older than this are gone: a `resume` from before them is answered `resync`. */
  maxAgeMs: number;
  /** And the oldest go first when the stream holds more than this. */
  maxBytes: number;
}

/**
 * The NOTIFICATIONS stream: every user's notifications on their subject. Retention by age and size
 * only (never per subject), so everything from the stream's first sequence on is still there.
 */
export const ensureNotificationsStream = (
  jsm: JetStreamManager,
  names: Names,
  { replicas, maxAgeMs, maxBytes }: NotificationRetention,
) =>
  ensureStream(jsm, {
    name: names.notificationsStream,
    subjects: [names.allNotifications],
    storage: StorageType.File,
    num_replicas: replicas,
    max_age: maxAgeMs * NANOS_PER_MS,
    max_bytes: maxBytes,
    // A translator that restarts publishes again what it had published before acking its fact.
    duplicate_window: 5 * 60_000 * NANOS_PER_MS,
  });

/** A user id (any text) as one subject token: the first 128 bits of its sha256, in hex. */
export const userKey = (userId: string): string =>
  createHash('sha256').update(userId).digest('hex').slice(0, 32);

export const notificationSubject = (names: Names, userId: string): string =>
  names.notifications(userKey(userId));

/**
 * Stores a notification on its user's subject and answers its sequence. `messageId` makes a repeat
 * (the same fact translated again after a restart) a no-op that answers the first one's sequence.
 */
export async function publishNotification(
  js: JetStreamClient,
  names: Names,
  notification: StoredNotification,
  messageId: string,
): Promise<number> {
  const ack = await js.publish(
    notificationSubject(names, notification.userId),
    JSON.stringify(notification),
    {
      msgID: messageId,
    },
  );
  return ack.seq;
}
