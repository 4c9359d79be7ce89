import { createHmac, hkdfSync } from 'node:crypto';
import type { GatewayConfig } from '../config/gateway.config.js';

/** The key every endpoint's secret is derived from; no key when the gateway has none (JWKS auth only). */
export interface WebhookSigning {
  key?: Buffer;
}

/** Injection token of the gateway's webhook signing key. */
export const WEBHOOK_SIGNING = Symbol('WEBHOOK_SIGNING');

/** Fixed, so that the same AUTH_JWT_SECRET gives the same webhook secrets on every replica and restart. */
const DERIVATION_LABEL = 'batch-platform webhook signing key v1';

/**
 * WEBHOOK_SIGNING_KEY, or a key derived from AUTH_JWT_SECRET (HKDF-SHA256 with a fixed label: the
 * JWT secret itself never signs a webhook, and a webhook secret reveals nothing of it).
 */
export function webhookSigningOf(
  config: Pick<GatewayConfig, 'WEBHOOK_SIGNING_KEY' | 'AUTH_JWT_SECRET'>,
): WebhookSigning {
  if (config.WEBHOOK_SIGNING_KEY) return { key: Buffer.from(config.WEBHOOK_SIGNING_KEY, 'utf8') };
  if (!config.AUTH_JWT_SECRET) return {};
  return { key: Buffer.from(hkdfSync('sha256', config.AUTH_JWT_SECRET, '', DERIVATION_LABEL, 32)) };
}

/**
 * An endpoint's secret, as Standard Webhooks writes it: `whsec_` and base64 of 32 bytes,
 * HMAC-SHA256(signing key, endpoint id). Never stored: derived again whenever it signs.
 */
export const endpointSecret = (key: Buffer, endpointId: string): string =>
  `whsec_${createHmac('sha256', key).update(endpointId).digest('base64')}`;

export const webhookSigningProvider = (config: GatewayConfig) => ({
  provide: WEBHOOK_SIGNING,
  useValue: webhookSigningOf(config),
});
