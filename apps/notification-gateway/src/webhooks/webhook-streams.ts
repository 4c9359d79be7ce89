import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { Names } from '@batch/contracts';
import { ensureNotificationsStream, ensureStream } from '@batch/messaging';
import type { GatewayConfig } from '../config/gateway.config.js';

const nanos = (ms: number) => ms * 1_000_000;

/** Shared by every gateway replica: each notification is looked at once, whichever replica takes it. */
export const DISPATCHER_CONSUMER = 'webhook-dispatcher';
/** Shared by every gateway replica: each delivery attempt is made by one of them. */
export const DELIVERER_CONSUMER = 'webhook-deliverer';

/** How long a dispatcher may hold a notification (a query and a few publishes) before another replica gets it. */
const DISPATCH_ACK_WAIT_MS = 30_000;
/** Beyond the attempt's own timeout: reading the endpoint, recording the attempt. */
const DELIVERY_ACK_MARGIN_MS = 30_000;
/**
 * A notification handed out again (its dispatcher stopped before the ack) finds its deliveries
 * already queued under the same message ids within this window.
 */
const DELIVERY_DUPLICATE_WINDOW_MS = 10 * 60_000;

/**
 * WEBHOOK_DELIVERIES: work-queue retention, a subject per endpoint, so that deleting an endpoint
 * purges whatever it still had waiting.
 */
async function ensureDeliveriesStream(jsm: JetStreamManager, names: Names, replicas: number): Promise<void> {
  await ensureStream(jsm, {
    name: names.webhookDeliveriesStream,
    subjects: [names.allWebhookDeliveries],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: replicas,
    duplicate_window: nanos(DELIVERY_DUPLICATE_WINDOW_MS),
  });
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    await jsm.consumers.add(stream, config);
  } catch {
    await jsm.consumers.update(stream, config.durable_name, config);
  }
}

/**
 * The streams and the two durable consumers of webhooks; idempotent, safe from every replica at
 * once. The dispatcher starts with the notifications published from its creation on: a new
 * platform does not send a day of old events to webhooks.
 */
export async function ensureWebhookStreams(
  jsm: JetStreamManager,
  names: Names,
  config: GatewayConfig,
): Promise<void> {
  await ensureNotificationsStream(jsm, names, {
    replicas: config.EVENTS_REPLICAS,
    maxAgeMs: config.NOTIFICATIONS_MAX_AGE_MS,
    maxBytes: config.NOTIFICATIONS_MAX_BYTES,
  });
  await ensureDeliveriesStream(jsm, names, config.EVENTS_REPLICAS);
  await ensureConsumer(jsm, names.notificationsStream, {
    durable_name: DISPATCHER_CONSUMER,
    filter_subject: names.allNotifications,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    ack_wait: nanos(DISPATCH_ACK_WAIT_MS),
    max_deliver: -1,
  });
  await ensureConsumer(jsm, names.webhookDeliveriesStream, {
    durable_name: DELIVERER_CONSUMER,
    filter_subject: names.allWebhookDeliveries,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(config.WEBHOOK_TIMEOUT_MS + DELIVERY_ACK_MARGIN_MS),
    max_deliver: -1,
    // A delivery waiting for its retry stays pending: endpoints that are down must not hold back the others.
    max_ack_pending: -1,
  });
}

/** Drops whatever a deleted endpoint still had queued. */
export async function purgeDeliveries(
  jsm: JetStreamManager,
  names: Names,
  endpointId: string,
): Promise<void> {
  await jsm.streams.purge(names.webhookDeliveriesStream, { filter: names.webhookDeliveries(endpointId) });
}
