import { z } from 'zod';
import { WebhookEvent } from './notifications.js';

/**
 * Webhooks (`/api/v1/webhooks`): endpoints a user registers for some of their events, and every
 * attempt to deliver one. Deliveries follow the Standard Webhooks spec (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature`), signed with the endpoint's secret, shown only when the
 * endpoint is created.
 */

/** `wh_` and a ULID; also one NATS subject token (the endpoint's delivery subject). */
export const WebhookId = z.string().regex(/^wh_[0-9A-HJKMNP-TV-Z]{26}$/, 'is not a webhook id');
export type WebhookId = z.infer<typeof WebhookId>;

export const MAX_WEBHOOK_URL_LENGTH = 2048;

const timestamp = z.iso.datetime({ offset: true });

export const WebhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(MAX_WEBHOOK_URL_LENGTH)
  // It would be stored and listed as it is; a receiver's credentials belong in its own check of the signature.
  .refine((url) => {
    // Zod runs this check on a value the URL check refused too: that one is refused once, as no URL.
    if (!URL.canParse(url)) return true;
    const { username, password } = new URL(url);
    return username === '' && password === '';
  }, 'must not carry a user name or password');

export const CreateWebhookBody = z.object({
  url: WebhookUrl,
  events: z
    .array(WebhookEvent)
    .min(1)
    .max(WebhookEvent.options.length)
    .refine((events) => new Set(events).size === events.length, 'names an event twice')
    .describe('the events to deliver: ' + WebhookEvent.options.join(', ')),
  description: z.string().max(500).optional(),
});
export type CreateWebhookBody = z.input<typeof CreateWebhookBody>;

export const WebhookView = z.object({
  id: WebhookId,
  url: z.string(),
  events: z.array(WebhookEvent),
  description: z.string().nullable(),
  createdAt: timestamp,
});
export type WebhookView = z.infer<typeof WebhookView>;

/** The answer of `POST /api/v1/webhooks`: the only one that shows the secret. */
export const CreatedWebhook = WebhookView.extend({
  secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]+=*$/)
    .describe('verifies the webhook-signature of every delivery; shown only here, keep it'),
});
export type CreatedWebhook = z.infer<typeof CreatedWebhook>;

export const WebhookList = z.object({ webhooks: z.array(WebhookView) });
export type WebhookList = z.infer<typeof WebhookList>;

export const ListWebhookDeliveriesQuery = z.object({
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().positive().max(1000).optional(),
});
export type ListWebhookDeliveriesQuery = z.input<typeof ListWebhookDeliveriesQuery>;

/**
 * Where a delivery stood after an attempt: `delivered` (a 2xx), `retrying` (another attempt is
 * scheduled) or `gave_up` (past the retry period, or the URL resolved to a refused address).
 */
export const WebhookDeliveryOutcome = z.enum(['delivered', 'retrying', 'gave_up']);
export type WebhookDeliveryOutcome = z.infer<typeof WebhookDeliveryOutcome>;

export const WebhookDeliveryAttempt = z.object({
  deliveryId: z.string().describe('the webhook-id header: the same for every attempt of one delivery'),
  event: WebhookEvent,
  attempt: z.number().int().positive(),
  statusCode: z.number().int().nullable().describe("the receiver's HTTP status; null when none came"),
  error: z.string().nullable().describe('why no 2xx came (timeout, connection refused, refused address...)'),
  durationMs: z.number().int().nonnegative(),
  attemptedAt: timestamp,
  outcome: WebhookDeliveryOutcome,
});
export type WebhookDeliveryAttempt = z.infer<typeof WebhookDeliveryAttempt>;

export const WebhookDeliveryList = z.object({
  deliveries: z.array(WebhookDeliveryAttempt).describe('every attempt, newest first'),
  next_cursor: z.string().nullable().describe('pass it back as `cursor` for the next page; null on the last'),
});
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;
