import { z } from 'zod';
import { WebhookEvent, WebhookId } from '@batch/contracts';

/**
 * One delivery waiting on WEBHOOK_DELIVERIES: a notification for one endpoint. The body is built
 * (and redacted) once, when it is queued, so every attempt sends the same bytes.
 */
export const DeliveryMessage = z.object({
  deliveryId: z.string().min(1),
  endpointId: WebhookId,
  event: WebhookEvent,
  notificationSeq: z.number().int().positive(),
  body: z.string(),
});
export type DeliveryMessage = z.infer<typeof DeliveryMessage>;

/**
 * The `webhook-id` of a notification's delivery to an endpoint: the same for every attempt, and
 * for the same notification queued twice, so receivers can de-duplicate with it.
 */
export const deliveryIdOf = (endpointId: string, notificationSeq: number): string =>
  `msg_${endpointId.slice('wh_'.length)}_${notificationSeq}`;

/** The JetStream message id that keeps a notification from being queued twice for one endpoint. */
export const deliveryMessageId = (endpointId: string, notificationSeq: number): string =>
  `${endpointId}:${notificationSeq}`;
