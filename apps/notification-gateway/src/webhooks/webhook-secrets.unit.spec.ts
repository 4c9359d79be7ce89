import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { endpointSecret, webhookSigningOf } from './webhook-secrets.js';

describe('webhook secrets', () => {
  it('uses WEBHOOK_SIGNING_KEY, else a key derived from AUTH_JWT_SECRET, else none', () => {
    const own = webhookSigningOf({ WEBHOOK_SIGNING_KEY: 'k'.repeat(32), AUTH_JWT_SECRET: 'jwt' });
    const derived = webhookSigningOf({ AUTH_JWT_SECRET: 'jwt' });
    expect(own.key?.toString()).toBe('k'.repeat(32));
    expect(derived.key).toHaveLength(32);
    expect(derived.key?.toString()).not.toContain('jwt');
    expect(webhookSigningOf({ AUTH_JWT_SECRET: 'jwt' }).key).toEqual(derived.key);
    expect(webhookSigningOf({}).key).toBeUndefined();
  });

  it('derives one secret per endpoint, the same every time, in the Standard Webhooks form', () => {
    const key = webhookSigningOf({ AUTH_JWT_SECRET: 'jwt' }).key!;
    const secret = endpointSecret(key, 'wh_01HZY0000000000000000000AA');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpointSecret(key, 'wh_01HZY0000000000000000000AA')).toBe(secret);
    expect(endpointSecret(key, 'wh_01HZY0000000000000000000AB')).not.toBe(secret);
    const webhook = new Webhook(secret);
    const at = new Date();
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': webhook.sign('msg_1', at, '{"a":1}'),
    };
    expect(webhook.verify('{"a":1}', headers)).toEqual({ a: 1 });
  });
});
