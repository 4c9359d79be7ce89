import { z } from 'zod';
import { ErrorCategory } from './errors.js';

/**
 * The WebSocket protocol of `/ws` (ARCHITECTURE.md, WebSocket notifications) and the notifications
 * behind it. Every notification of a user is a message of the NOTIFICATIONS stream on the user's
 * subject, so `seq` (its stream sequence) is the same whichever gateway replica sends it.
 */

const timestamp = z.iso.datetime({ offset: true });

/** A topic a client subscribes to: one resource of the user's, or `user` for everything of theirs. */
export const Topic = z
  .string()
  .max(300)
  .regex(/^(user|(batch|backup|restore|operation):[A-Za-z0-9._:-]{1,200})$/, {
    message: 'is not a topic: user, batch:<id>, backup:<id>, restore:<id> or operation:<id>',
  });
export type Topic = z.infer<typeof Topic>;

export const Topics = z.array(Topic).min(1).max(1000);

/** Client -> server. */
export const ClientMessage = z.discriminatedUnion('type', [
  /** The token, when the connection URL carried none (`?token=`): the first message, within the auth timeout. */
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(10_000) }),
  z.object({ type: z.literal('subscribe'), topics: Topics }),
  z.object({ type: z.literal('unsubscribe'), topics: Topics }),
  z.object({ type: z.literal('ping') }),
  /**
   * Everything after `lastSeq` still retained (for the connection's topics, or `topics` when given)
   * is replayed in order before live messages: no gap, no duplicate. Send it before or with the
   * subscription; a resume after messages newer than `lastSeq` were sent is answered `resync`.
   */
  z.object({ type: z.literal('resume'), lastSeq: z.number().int().nonnegative(), topics: Topics.optional() }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export const NotificationType = z.enum([
  'batch.progress',
  'batch.status',
  'backup.progress',
  'backup.ready',
  'restore.progress',
  'operation.status',
  'error',
]);
export type NotificationType = z.infer<typeof NotificationType>;

/** A batch's counts, a few times a second at most while it runs, always ending with the exact final counts. */
export const BatchProgressPayload = z.object({
  batch_id: z.string(),
  status: z.string(),
  total_items: z.number().int(),
  /** Completed items (seed 000's name). */
  processed_count: z.number().int(),
  failed_count: z.number().int(),
  pending_count: z.number().int(),
  progress_percent: z.number(),
  /** Settled items per second over the last seconds; 0 when idle. */
  items_per_second: z.number().nonnegative(),
  /** Seconds until every pending item settles at that rate; null when it cannot be told. */
  eta_seconds: z.number().nonnegative().nullable(),
});
export type BatchProgressPayload = z.infer<typeof BatchProgressPayload>;

export const BatchStatusPayload = BatchProgressPayload.pick({
  batch_id: true,
  status: true,
  total_items: true,
  processed_count: true,
  failed_count: true,
  pending_count: true,
  progress_percent: true,
}).extend({
  previous_status: z.string().nullable(),
  /** Why it paused or failed (e.g. provider_auth_failed, budget_exhausted). */
  reason: z.string().nullable(),
});
export type BatchStatusPayload = z.infer<typeof BatchStatusPayload>;

/** Backups, restores and bulk deletes: their step or status, and how far they are. */
export const ProgressPayload = z.object({
  id: z.string(),
  status: z.string(),
  processed: z.number().int(),
  total: z.number().int().nullable(),
  message: z.string().optional(),
});
export type ProgressPayload = z.infer<typeof ProgressPayload>;

export const NotificationCategory = z.enum(['temporary', 'permanent', 'action_required']);
export type NotificationCategory = z.infer<typeof NotificationCategory>;

/** How an error of the platform (ErrorCategory) shows in a notification: a person acts or waits for `rate_limited`. */
export function notificationCategoryOf(category: ErrorCategory): NotificationCategory {
  return category === 'rate_limited' ? 'action_required' : category;
}

export const ErrorSeverity = z.enum(['info', 'warning', 'error', 'critical']);
export type ErrorSeverity = z.infer<typeof ErrorSeverity>;

export const ErrorNotificationPayload = z.object({
  errorId: z.string(),
  code: z.string(),
  category: NotificationCategory,
  severity: ErrorSeverity,
  userMessage: z.string(),
  retryable: z.boolean(),
  retryAfterSeconds: z.number().nonnegative().optional(),
  /** Errors with the same key for one user within the de-dup window are sent once. */
  dedupKey: z.string(),
  /** Times the same error happened again within the window before this message (0 for a first one). */
  repeatCount: z.number().int().nonnegative(),
  batchId: z.string().optional(),
  itemId: z.string().optional(),
  backupId: z.string().optional(),
  operationId: z.string().optional(),
  occurredAt: timestamp,
});
export type ErrorNotificationPayload = z.infer<typeof ErrorNotificationPayload>;

const notification = <T extends NotificationType, P extends z.ZodType>(type: T, payload: P) =>
  z.object({
    /** The message's sequence in the NOTIFICATIONS stream: increasing, stable across replicas. */
    seq: z.number().int().positive(),
    type: z.literal(type),
    topic: Topic,
    at: timestamp,
    payload,
  });

/** Server -> client, carrying a `seq`: what `resume` replays. */
export const Notification = z.discriminatedUnion('type', [
  notification('batch.progress', BatchProgressPayload),
  notification('batch.status', BatchStatusPayload),
  notification('backup.progress', ProgressPayload),
  notification('backup.ready', ProgressPayload),
  notification('restore.progress', ProgressPayload),
  notification('operation.status', ProgressPayload),
  notification('error', ErrorNotificationPayload),
]);
export type Notification = z.infer<typeof Notification>;

/** A notification without its `seq`, each type keeping its own payload. */
export type UnsequencedNotification = Notification extends infer N
  ? N extends Notification
    ? Omit<N, 'seq'>
    : never
  : never;

/** A notification as stored in the stream: without its `seq` (the stream gives it), with its user. */
export type StoredNotification = UnsequencedNotification & { userId: string };

/** Server -> client, about the connection itself (no `seq`; never replayed). */
export const ControlMessage = z.discriminatedUnion('type', [
  /** Authenticated; `lastSeq` is the newest notification sequence of the stream now. */
  z.object({ type: z.literal('welcome'), userId: z.string(), lastSeq: z.number().int().nonnegative() }),
  z.object({ type: z.literal('subscribed'), topics: z.array(Topic) }),
  z.object({ type: z.literal('unsubscribed'), topics: z.array(Topic) }),
  z.object({ type: z.literal('pong') }),
  /** The replay after `resume` is done: `replayed` messages were sent; live ones follow. */
  z.object({ type: z.literal('resumed'), fromSeq: z.number().int(), replayed: z.number().int() }),
  /** What was asked cannot be replayed (aged out of retention): refetch state over REST, then go on live. */
  z.object({ type: z.literal('resync'), reason: z.string(), lastSeq: z.number().int().nonnegative() }),
  /** A client message was refused (malformed, or a topic that is not the user's); the connection stays. */
  z.object({
    type: z.literal('refused'),
    code: z.enum(['bad_message', 'not_found', 'too_many_topics']),
    message: z.string(),
    topics: z.array(z.string()).optional(),
  }),
]);
export type ControlMessage = z.infer<typeof ControlMessage>;

export type ServerMessage = Notification | ControlMessage;

/** `GET /api/v1/errors/:errorId`: what the console's error details modal shows, sanitized. */
export const ErrorDetailsView = z.object({
  errorId: z.string(),
  code: z.string(),
  /** A readable name of the code, e.g. "Rate limit". */
  name: z.string(),
  category: NotificationCategory,
  severity: ErrorSeverity,
  isRecoverable: z.boolean(),
  retryAfterSeconds: z.number().nonnegative().optional(),
  userMessage: z.string(),
  technicalMessage: z.string(),
  context: z.object({
    batchId: z.string().optional(),
    itemId: z.string().optional(),
    provider: z.string().optional(),
    model: z.string().optional(),
    attempt: z.number().int().optional(),
    backupId: z.string().optional(),
    restoreId: z.string().optional(),
    operationId: z.string().optional(),
  }),
  /** What the platform knows of the failed call (sanitized): the provider's request and answer, or a stack. */
  request: z.record(z.string(), z.unknown()).optional(),
  response: z.record(z.string(), z.unknown()).optional(),
  stack: z.string().optional(),
  /** How many times it happened within the de-dup window (1 for once). */
  occurrences: z.number().int().positive(),
  occurredAt: timestamp,
});
export type ErrorDetailsView = z.infer<typeof ErrorDetailsView>;

/** Close codes of `/ws` (4000-4999 are the application's). */
export const WS_CLOSE = {
  /** No token in the URL and no `auth` message within the auth timeout. */
  AUTH_TIMEOUT: 4001,
  /** The token was refused (invalid, expired, wrong issuer). */
  UNAUTHORIZED: 4003,
  /** The client read too slowly: its send buffer passed the limit. Reconnect and `resume`. */
  SLOW_CONSUMER: 4008,
  /** Too many connections for this user. */
  TOO_MANY_CONNECTIONS: 4029,
  /** The gateway is shutting down (1001 Going Away): reconnect, to another replica, and `resume`. */
  GOING_AWAY: 1001,
} as const;

/** Close codes after which a client should reconnect and resume (the others need a new token or fewer sockets). */
export const RESUMABLE_CLOSE_CODES: readonly number[] = [
  WS_CLOSE.SLOW_CONSUMER,
  WS_CLOSE.GOING_AWAY,
  1006,
  1011,
  1012,
  1013,
];

/** Webhook event names, and the notifications they come from. */
export const WebhookEvent = z.enum([
  'batch.started',
  'batch.paused',
  'batch.resumed',
  'batch.completed',
  'batch.failed',
  'batch.cancelled',
  'error.action_required',
  'error.permanent',
  'backup.ready',
  'backup.failed',
  'restore.completed',
  'restore.failed',
  'operation.done',
  'operation.failed',
]);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

const ENDED = new Set(['completed', 'failed', 'cancelled', 'done', 'expired']);

/** The webhook event a notification is, if any (progress is never sent to webhooks). */
export function webhookEventOf(message: UnsequencedNotification): WebhookEvent | undefined {
  const candidate = (() => {
    switch (message.type) {
      case 'batch.status': {
        const { status, previous_status } = message.payload;
        if (status !== 'running') return `batch.${status}`;
        return previous_status === 'paused' ? 'batch.resumed' : 'batch.started';
      }
      case 'error':
        return message.payload.category === 'temporary' ? undefined : `error.${message.payload.category}`;
      case 'backup.ready':
        return 'backup.ready';
      case 'backup.progress':
        return message.payload.status === 'failed' ? 'backup.failed' : undefined;
      case 'restore.progress':
      case 'operation.status': {
        const kind = message.type === 'restore.progress' ? 'restore' : 'operation';
        return ENDED.has(message.payload.status) || message.payload.status === 'error'
          ? `${kind}.${message.payload.status === 'error' ? 'failed' : message.payload.status}`
          : undefined;
      }
      default:
        return undefined;
    }
  })();
  const parsed = WebhookEvent.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}
