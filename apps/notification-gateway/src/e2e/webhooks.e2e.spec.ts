import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import {
  names as namesFor,
  type ApiErrorBody,
  type BatchStatusPayload,
  type BatchView,
  type CreatedWebhook,
  type Names,
  type StoredNotification,
  type WebhookDeliveryAttempt,
  type WebhookDeliveryList,
  type WebhookEvent,
  type WebhookList,
  type WebhookView,
} from '@batch/contracts';
import { publishNotification } from '@batch/messaging';
import { call, itemsOf, startPlatform, type Caller, type Platform } from '@batch/testing';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.spec-helpers.js';

jest.setTimeout(120_000);

const RETRY_DELAYS_MS = [100, 200];

let platform: Platform;
let receiver: WebhookReceiver;
let alice: Caller;
let bob: Caller;
let names: Names;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  platform = await startPlatform(
    {},
    { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(',') },
  );
  names = platform.nats.names;
  alice = await platform.as('alice');
  bob = await platform.as('bob');
}, 120_000);
afterAll(async () => {
  await platform?.close();
  await receiver?.close();
});

/**
 * Another gateway on the same database but its own NATS namespace (its own NOTIFICATIONS and
 * WEBHOOK_DELIVERIES): its settings govern the deliveries of the notifications published there.
 */
async function gatewayOfItsOwn(suffix: string, extra: Record<string, string>) {
  const namespace = `${platform.nats.namespace}_${suffix}`;
  const { baseUrl } = await platform.gateway({ NATS_NAMESPACE: namespace, ...extra });
  return { baseUrl, names: namesFor(namespace), as: (sub: string) => platform.as(sub, baseUrl) };
}

let published = 0;
/** Feeds a notification in as the notifier would: a StoredNotification on its user's subject. */
const notify = (to: Names, notification: StoredNotification): Promise<number> =>
  publishNotification(jetstream(platform.nats.nc), to, notification, `webhooks-e2e-${++published}`);

const batchStatus = (
  userId: string,
  batchId: string,
  status: string,
  more: Partial<BatchStatusPayload> = {},
): StoredNotification => ({
  type: 'batch.status',
  topic: `batch:${batchId}`,
  at: new Date().toISOString(),
  userId,
  payload: {
    batch_id: batchId,
    status,
    total_items: 3,
    processed_count: 3,
    failed_count: 0,
    pending_count: 0,
    progress_percent: 100,
    previous_status: 'running',
    reason: null,
    ...more,
  },
});

async function createWebhook(
  caller: Caller,
  path: string,
  events: WebhookEvent[] = ['batch.completed'],
): Promise<CreatedWebhook> {
  const created = await caller.call<CreatedWebhook>('POST', '/api/v1/webhooks', {
    url: receiver.url(path),
    events,
  });
  expect(created.status).toBe(201);
  return created.body;
}

const deliveriesOf = async (caller: Caller, id: string, query = ''): Promise<WebhookDeliveryList> => {
  const answer = await caller.call<WebhookDeliveryList>('GET', `/api/v1/webhooks/${id}/deliveries${query}`);
  expect(answer.status).toBe(200);
  return answer.body;
};

/** Probes until `done` holds (a condition, never a fixed wait). */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`still not so after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await delay(50);
  }
}

const attemptsOf = (caller: Caller, id: string, done: (attempts: WebhookDeliveryAttempt[]) => boolean) =>
  eventually(async () => (await deliveriesOf(caller, id)).deliveries, done);

/** Deliveries still queued on WEBHOOK_DELIVERIES for an endpoint (waiting or being retried). */
async function queuedFor(of: Names, endpointId: string): Promise<number> {
  const jsm = await jetstreamManager(platform.nats.nc);
  const subject = of.webhookDeliveries(endpointId);
  const info = await jsm.streams.info(of.webhookDeliveriesStream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

/** The shared deliverer has nothing left to hand out, nor anything handed out and not settled. */
async function delivererIdle(of: Names): Promise<boolean> {
  const jsm = await jetstreamManager(platform.nats.nc);
  const info = await jsm.consumers.info(of.webhookDeliveriesStream, 'webhook-deliverer');
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

const parsed = (body: string) =>
  JSON.parse(body) as { type: string; timestamp: string; data: Record<string, unknown> };

describe('webhook endpoints', () => {
  it("are created with a secret shown once, listed, read and deleted by their owner only; another user's are not found", async () => {
    const created = await alice.call<CreatedWebhook>('POST', '/api/v1/webhooks', {
      url: receiver.url('/crud'),
      events: ['batch.completed', 'backup.ready'],
      description: 'nightly export',
    });
    expect(created.status).toBe(201);
    const { secret, ...view } = created.body;
    expect(view).toEqual({
      id: expect.stringMatching(/^wh_[0-9A-Z]{26}$/),
      url: receiver.url('/crud'),
      events: ['batch.completed', 'backup.ready'],
      description: 'nightly export',
      createdAt: expect.any(String),
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const path = `/api/v1/webhooks/${view.id}`;

    const listed = await alice.call<WebhookList>('GET', '/api/v1/webhooks');
    expect(listed.status).toBe(200);
    expect(listed.body.webhooks).toContainEqual(view);
    expect(await alice.call<WebhookView>('GET', path)).toMatchObject({ status: 200, body: view });
    expect(JSON.stringify(listed.body)).not.toContain('secret');

    expect((await bob.call<WebhookList>('GET', '/api/v1/webhooks')).body.webhooks).toEqual([]);
    for (const [method, route] of [
      ['GET', path],
      ['GET', `${path}/deliveries`],
      ['DELETE', path],
    ] as const) {
      const refused = await bob.call<ApiErrorBody>(method, route);
      expect(refused.status).toBe(404);
      expect(refused.body.error.code).toBe('not_found');
    }
    expect((await alice.call('GET', '/api/v1/webhooks/not-a-webhook-id')).status).toBe(404);

    // The secret is derived whenever it signs: no row holds it, no log line shows it.
    const db = new pg.Client({ connectionString: platform.database.url });
    await db.connect();
    const rows = await db.query(
      `SELECT row_to_json(w)::text AS row FROM "${platform.database.schema}".webhook_endpoints w`,
    );
    await db.end();
    expect(rows.rows.length).toBeGreaterThan(0);
    const secretBytes = secret.slice('whsec_'.length);
    for (const { row } of rows.rows as { row: string }[]) expect(row).not.toContain(secretBytes);
    expect(platform.gatewayProcess.lines.join('\n')).not.toContain(secretBytes);

    expect((await alice.call('DELETE', path)).status).toBe(204);
    expect((await alice.call('GET', path)).status).toBe(404);
    expect((await alice.call('DELETE', path)).status).toBe(404);
    expect((await alice.call<WebhookList>('GET', '/api/v1/webhooks')).body.webhooks).not.toContainEqual(view);
  });

  const url = 'http://127.0.0.1:9/hook';
  it.each([
    ['a URL that is none', { url: 'not a url', events: ['batch.completed'] }, 'url'],
    [
      'a scheme other than http and https',
      { url: 'ftp://example.com/x', events: ['batch.completed'] },
      'url',
    ],
    ['credentials in the URL', { url: 'https://user:pw@example.com/', events: ['batch.completed'] }, 'url'],
    [
      'a host that does not resolve',
      { url: 'http://no-such-host.invalid/', events: ['batch.completed'] },
      'url',
    ],
    ['an unknown event', { url, events: ['batch.exploded'] }, 'events[0]'],
    ['no event', { url, events: [] }, 'events'],
    ['an event twice', { url, events: ['batch.completed', 'batch.completed'] }, 'events'],
    [
      'a description over 500 characters',
      { url, events: ['batch.failed'], description: 'x'.repeat(501) },
      'description',
    ],
    ['no body', undefined, 'url'],
  ])('refuses %s with a 422 naming the field', async (_case, body, field) => {
    const refused = await alice.call<ApiErrorBody>('POST', '/api/v1/webhooks', body);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('validation');
    expect(refused.body.error.message).toContain(`${field}: `);
  });

  it('refuses a body that is not JSON with a 400, and a bad page query with a 422', async () => {
    expect((await alice.call('POST', '/api/v1/webhooks', '{"url": ')).status).toBe(400);
    const { id } = await createWebhook(alice, '/queries');
    for (const query of ['?limit=0', '?limit=many', '?cursor=not-a-cursor']) {
      const refused = await alice.call<ApiErrorBody>('GET', `/api/v1/webhooks/${id}/deliveries${query}`);
      expect(refused.status).toBe(422);
      expect(refused.body.error.message).toMatch(/limit|cursor/);
    }
    expect((await alice.call('DELETE', `/api/v1/webhooks/${id}`)).status).toBe(204);
  });

  it('are limited per user (409 past WEBHOOK_MAX_ENDPOINTS_PER_USER, 25 by default)', async () => {
    const frank = await platform.as('frank');
    for (let count = 0; count < 25; count++) await createWebhook(frank, `/frank-${count}`);
    const refused = await frank.call<ApiErrorBody>('POST', '/api/v1/webhooks', {
      url: receiver.url('/frank-26'),
      events: ['batch.completed'],
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('at most 25 webhooks');
  });
});

describe('webhook deliveries', () => {
  it('retry a failing receiver with backoff, every attempt signed with the same webhook-id, until one 200 is acked', async () => {
    receiver.answer('/flaky', [500, 500]);
    const endpoint = await createWebhook(alice, '/flaky');
    await notify(names, batchStatus('alice', 'batch-flaky', 'completed'));
    const requests = await receiver.until('/flaky', 3);
    const attempts = await attemptsOf(alice, endpoint.id, (all) => all[0]?.outcome === 'delivered');
    expect(
      attempts.map(({ attempt, statusCode, error, outcome }) => ({ attempt, statusCode, error, outcome })),
    ).toEqual([
      { attempt: 3, statusCode: 200, error: null, outcome: 'delivered' },
      { attempt: 2, statusCode: 500, error: null, outcome: 'retrying' },
      { attempt: 1, statusCode: 500, error: null, outcome: 'retrying' },
    ]);
    for (const attempt of attempts) {
      expect(attempt.event).toBe('batch.completed');
      expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(attempt.attemptedAt)).not.toBeNaN();
    }
    const [deliveryId] = new Set(attempts.map((attempt) => attempt.deliveryId));
    expect(new Set(attempts.map((attempt) => attempt.deliveryId)).size).toBe(1);
    expect(requests.map((request) => request.headers['webhook-id'])).toEqual([
      deliveryId,
      deliveryId,
      deliveryId,
    ]);

    const webhook = new Webhook(endpoint.secret);
    for (const request of requests) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(webhook.verify(request.body, request.headers)).toEqual({
        type: 'batch.completed',
        timestamp: expect.any(String),
        data: expect.objectContaining({
          batch_id: 'batch-flaky',
          status: 'completed',
          previous_status: 'running',
        }),
      });
    }
    const impostor = new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`);
    expect(() => impostor.verify(requests[0]!.body, requests[0]!.headers)).toThrow();
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[0]! * 0.8);
    expect(requests[2]!.at - requests[1]!.at).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[1]! * 0.8);

    // Acked once: nothing is queued or unsettled any more, and no fourth request came.
    await eventually(
      async () => (await queuedFor(names, endpoint.id)) === 0 && (await delivererIdle(names)),
      Boolean,
    );
    expect(receiver.requestsTo('/flaky')).toHaveLength(3);

    const firstPage = await deliveriesOf(alice, endpoint.id, '?limit=2');
    expect(firstPage.deliveries).toEqual(attempts.slice(0, 2));
    expect(firstPage.next_cursor).toEqual(expect.any(String));
    const secondPage = await deliveriesOf(alice, endpoint.id, `?limit=2&cursor=${firstPage.next_cursor}`);
    expect(secondPage).toEqual({ deliveries: attempts.slice(2), next_cursor: null });
  });

  it('carry no secret a notification held: keys, connection strings and addresses are redacted', async () => {
    const endpoint = await createWebhook(alice, '/redacted', ['batch.paused', 'error.action_required']);
    const apiKey = 'sk-live-a1B2c3D4e5F6g7H8i9J0k1L2m3N4';
    const password = 'hunter2-secret';
    const dsn = `postgres://admin:${password}@db.internal:5432/prod`;
    await notify(
      names,
      batchStatus('alice', 'batch-secrets', 'paused', {
        reason: `provider_auth_failed: key ${apiKey} refused; db ${dsn}`,
      }),
    );
    await notify(names, {
      type: 'error',
      topic: 'batch:batch-secrets',
      at: new Date().toISOString(),
      userId: 'alice',
      payload: {
        errorId: 'err-planted',
        code: 'ERR_API_AUTH',
        category: 'action_required',
        severity: 'error',
        userMessage: `The key ${apiKey} of ops@example.com was refused`,
        retryable: false,
        dedupKey: 'planted',
        repeatCount: 0,
        batchId: 'batch-secrets',
        occurredAt: new Date().toISOString(),
      },
    });
    const requests = await receiver.until('/redacted', 2);
    const webhook = new Webhook(endpoint.secret);
    for (const request of requests) {
      webhook.verify(request.body, request.headers);
      for (const secret of [apiKey, password, 'ops@example.com']) expect(request.body).not.toContain(secret);
    }
    const byType = Object.fromEntries(
      requests.map((request) => [parsed(request.body).type, parsed(request.body).data]),
    );
    expect(byType['batch.paused']).toMatchObject({ batch_id: 'batch-secrets', status: 'paused' });
    expect(byType['batch.paused']!.reason).toContain('[REDACTED]');
    expect(byType['error.action_required']).toMatchObject({ errorId: 'err-planted', code: 'ERR_API_AUTH' });
    expect(byType['error.action_required']!.userMessage).toContain('[REDACTED]');
  });

  it("never bring a user's notification to another user's endpoint", async () => {
    const alices = await createWebhook(alice, '/alice-only');
    const bobs = await createWebhook(bob, '/bob-only');
    await notify(names, batchStatus('bob', 'batch-of-bob', 'completed'));
    await notify(names, batchStatus('alice', 'batch-of-alice', 'completed'));
    const [toAlice] = await receiver.until('/alice-only', 1);
    const [toBob] = await receiver.until('/bob-only', 1);
    expect(parsed(toAlice!.body).data.batch_id).toBe('batch-of-alice');
    expect(parsed(toBob!.body).data.batch_id).toBe('batch-of-bob');
    new Webhook(alices.secret).verify(toAlice!.body, toAlice!.headers);
    expect(() => new Webhook(alices.secret).verify(toBob!.body, toBob!.headers)).toThrow();
    await eventually(
      async () => (await queuedFor(names, alices.id)) + (await queuedFor(names, bobs.id)),
      (n) => n === 0,
    );
    expect(receiver.requestsTo('/alice-only')).toHaveLength(1);
    expect(receiver.requestsTo('/bob-only')).toHaveLength(1);
  });

  it('stop for a deleted endpoint: its retries are dropped and later notifications not queued for it', async () => {
    receiver.answer(
      '/doomed',
      Array.from({ length: 1000 }, () => 500),
    );
    const doomed = await createWebhook(alice, '/doomed');
    await createWebhook(alice, '/marker');
    await notify(names, batchStatus('alice', 'batch-before', 'completed'));
    await receiver.until('/doomed', 2);
    await receiver.until('/marker', 1);

    expect((await alice.call('DELETE', `/api/v1/webhooks/${doomed.id}`)).status).toBe(204);
    expect(await queuedFor(names, doomed.id)).toBe(0);
    await eventually(() => delivererIdle(names), Boolean);
    const seen = receiver.requestsTo('/doomed').length;

    await notify(names, batchStatus('alice', 'batch-after', 'completed'));
    const markers = await receiver.until('/marker', 2);
    expect(parsed(markers[1]!.body).data.batch_id).toBe('batch-after');
    expect(await queuedFor(names, doomed.id)).toBe(0);
    expect(receiver.requestsTo('/doomed')).toHaveLength(seen);
    expect((await alice.call('GET', `/api/v1/webhooks/${doomed.id}/deliveries`)).status).toBe(404);
  });

  it('keep failing until the retry period is over, then are given up and recorded so', async () => {
    const brief = await gatewayOfItsOwn('brief', { WEBHOOK_MAX_AGE_MS: '1500' });
    receiver.answer(
      '/down',
      Array.from({ length: 1000 }, () => 503),
    );
    const dave = await platform.as('dave');
    const endpoint = await createWebhook(dave, '/down', ['batch.failed']);
    await notify(brief.names, batchStatus('dave', 'batch-of-dave', 'failed', { reason: 'all items failed' }));
    const attempts = await attemptsOf(dave, endpoint.id, (all) => all[0]?.outcome === 'gave_up');
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.map((attempt) => attempt.attempt)).toEqual(
      attempts.map((_, index) => attempts.length - index),
    );
    expect(attempts.slice(1).every((attempt) => attempt.outcome === 'retrying')).toBe(true);
    expect(attempts.every((attempt) => attempt.statusCode === 503 && attempt.event === 'batch.failed')).toBe(
      true,
    );
    const span = Date.parse(attempts[0]!.attemptedAt) - Date.parse(attempts.at(-1)!.attemptedAt);
    // Each retry is scheduled only while it falls within the 1.5 s; the one after the last would not.
    expect(span).toBeLessThan(1500 + RETRY_DELAYS_MS[1]!);
    expect(span).toBeGreaterThan(1500 - 2 * RETRY_DELAYS_MS[1]!);
    await eventually(
      async () => (await queuedFor(brief.names, endpoint.id)) === 0 && (await delivererIdle(brief.names)),
      Boolean,
    );
    expect(receiver.requestsTo('/down')).toHaveLength(attempts.length);
  });

  it('deliver batch.completed when a real batch completes', async () => {
    const erin = await platform.as('erin');
    const endpoint = await createWebhook(erin, '/erin', ['batch.completed']);
    const created = await erin.call<BatchView>('POST', '/api/v1/batches', {
      items: itemsOf(3, 'erin'),
      config: { provider: 'template' },
    });
    expect(created.status).toBe(201);
    const [request] = await receiver.until('/erin', 1, 60_000);
    expect(new Webhook(endpoint.secret).verify(request!.body, request!.headers)).toMatchObject({
      type: 'batch.completed',
      data: { batch_id: created.body.batch_id, status: 'completed', processed_count: 3, failed_count: 0 },
    });
  });
});

describe('a gateway without WEBHOOK_ALLOW_PRIVATE', () => {
  let strict: Awaited<ReturnType<typeof gatewayOfItsOwn>>;
  beforeAll(async () => {
    strict = await gatewayOfItsOwn('strict', { WEBHOOK_ALLOW_PRIVATE: 'false' });
  }, 60_000);

  it.each([
    ['http://127.0.0.1:8080/hook', '127.0.0.1, in the loopback range'],
    ['http://localhost/hook', 'in the loopback range'],
    ['http://[::1]/hook', '::1, in the loopback range'],
    ['http://10.1.2.3/hook', 'in the private range'],
    ['http://192.168.0.10/hook', 'in the private range'],
    ['http://169.254.169.254/latest/meta-data', 'in the linkLocal range'],
    ['http://100.64.0.1/hook', 'in the carrierGradeNat range'],
    ['http://[fd00::1]/hook', 'in the uniqueLocal range'],
    ['http://0.0.0.0/hook', 'in the unspecified range'],
  ])('refuses %s with a 422', async (url, why) => {
    const carol = await strict.as('carol');
    const refused = await carol.call<ApiErrorBody>('POST', '/api/v1/webhooks', {
      url,
      events: ['batch.completed'],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('url: ');
    expect(refused.body.error.message).toContain(why);
    expect(refused.body.error.message).toContain('WEBHOOK_ALLOW_PRIVATE');
  });

  it('checks the host again at each delivery: one resolving to a refused address is given up and recorded', async () => {
    // Made where private addresses are allowed (the same database); delivered by the strict gateway.
    const carol = await platform.as('carol');
    const endpoint = await createWebhook(carol, '/carol');
    await notify(strict.names, batchStatus('carol', 'batch-of-carol', 'completed'));
    const [attempt] = await attemptsOf(carol, endpoint.id, (all) => all.length > 0);
    expect(attempt).toMatchObject({ attempt: 1, statusCode: null, outcome: 'gave_up' });
    expect(attempt!.error).toContain('127.0.0.1, in the loopback range');
    await eventually(
      () => queuedFor(strict.names, endpoint.id),
      (n) => n === 0,
    );
    expect(receiver.requestsTo('/carol')).toHaveLength(0);
  });
});

describe('a gateway with JWKS auth and no WEBHOOK_SIGNING_KEY', () => {
  it('answers 503 on every webhook route, saying what to set', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'test', alg: 'RS256' }] });
    const server = http.createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(jwks);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const { baseUrl } = await platform.gateway({
        NATS_NAMESPACE: `${platform.nats.namespace}_jwks`,
        AUTH_JWT_SECRET: '',
        AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
      });
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: 'test' })
        .setSubject('alice')
        .setExpirationTime('10m')
        .sign(privateKey);
      const id = 'wh_01HZY0000000000000000000AA';
      for (const [method, path, body] of [
        ['POST', '/api/v1/webhooks', { url: 'https://example.com/hook', events: ['batch.completed'] }],
        ['GET', '/api/v1/webhooks'],
        ['GET', `/api/v1/webhooks/${id}`],
        ['GET', `/api/v1/webhooks/${id}/deliveries`],
        ['DELETE', `/api/v1/webhooks/${id}`],
      ] as const) {
        const answer = await call<ApiErrorBody>(baseUrl, token, method, path, body);
        expect(answer.status).toBe(503);
        expect(answer.body.error.message).toContain('set WEBHOOK_SIGNING_KEY');
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
