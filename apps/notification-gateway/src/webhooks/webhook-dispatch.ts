import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { Notification, UserId, webhookEventOf, type Names } from '@batch/contracts';
import { redact, type Logger } from '@batch/platform';
import { deliveryIdOf, deliveryMessageId, type DeliveryMessage } from './webhook-delivery.js';
import type { WebhookStore } from './webhook-store.js';

export interface DispatchDeps {
  js: JetStreamClient;
  names: Names;
  store: WebhookStore;
  logger: Logger;
}

/** A stored notification (JSON on NOTIFICATIONS), with its stream sequence; undefined when it is none. */
function decode(message: JsMsg): (Notification & { userId: string }) | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = message.json<Record<string, unknown>>();
  } catch {
    return undefined;
  }
  const notification = Notification.safeParse({ ...raw, seq: message.seq });
  const userId = UserId.safeParse(raw?.userId);
  return notification.success && userId.success ? { ...notification.data, userId: userId.data } : undefined;
}

/**
 * Looks at one notification: when it is a webhook event, queues one delivery for each endpoint of
 * its user that subscribes to that event (under a message id of the endpoint and the notification,
 * so a notification handed out again queues nothing twice), then acks it. The body sent is the
 * event, when it happened and the notification's payload, redacted once more on the way out.
 */
export async function dispatchNotification(message: JsMsg, { js, names, store, logger }: DispatchDeps) {
  const notification = decode(message);
  if (!notification) {
    logger.warn({ seq: message.seq }, 'a notification that is not one was skipped by webhooks');
    return message.ack();
  }
  const event = webhookEventOf(notification);
  if (!event) return message.ack();
  const endpointIds = await store.subscribers(notification.userId, event);
  if (endpointIds.length > 0) {
    const body = JSON.stringify({
      type: event,
      timestamp: notification.at,
      data: redact(notification.payload),
    });
    for (const endpointId of endpointIds) {
      const delivery: DeliveryMessage = {
        deliveryId: deliveryIdOf(endpointId, message.seq),
        endpointId,
        event,
        notificationSeq: message.seq,
        body,
      };
      await js.publish(names.webhookDeliveries(endpointId), JSON.stringify(delivery), {
        msgID: deliveryMessageId(endpointId, message.seq),
      });
    }
  }
  message.ack();
}
