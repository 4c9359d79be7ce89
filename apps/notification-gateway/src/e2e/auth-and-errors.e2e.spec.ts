import { createServer as createHttpServer } from 'node:http';
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApiErrorBody, BatchView } from '@batch/contracts';
import { call, freePort, itemsOf, startPlatform, tokenFor, type Caller, type Platform } from '@batch/testing';

let platform: Platform;
let alice: Caller;
let bob: Caller;
let batch: BatchView;

beforeAll(async () => {
  platform = await startPlatform();
  alice = await platform.as('alice');
  bob = await platform.as('bob');
  batch = (await alice.call<BatchView>('POST', '/api/v1/batches', { items: itemsOf(2), autoStart: false }))
    .body;
}, 120_000);
const afterAllClose: (() => void)[] = [];
afterAll(async () => {
  afterAllClose.forEach((close) => close());
  await platform?.close();
});

const errorOf = (body: unknown) => (body as ApiErrorBody).error;

describe('auth', () => {
  it.each([
    ['no header', undefined],
    ['a malformed token', 'not-a-jwt'],
  ])('answers 401 to a request with %s', async (_, token) => {
    const answer = await call(platform.baseUrl, token, 'GET', '/api/v1/batches');
    expect(answer.status).toBe(401);
    expect(errorOf(answer.body).code).toBe('unauthorized');
  });

  it('answers 401 to an expired token and to one signed with another secret', async () => {
    const expired = await tokenFor('alice', '-1m');
    expect((await call(platform.baseUrl, expired, 'GET', '/api/v1/batches')).body).toEqual({
      error: { code: 'unauthorized', message: 'the token has expired' },
    });
    const forged = await tokenFor('alice', '1h', 'another-secret');
    expect((await call(platform.baseUrl, forged, 'GET', '/api/v1/batches')).status).toBe(401);
  });

  it('answers 404 to another user on every route of a batch, and changes nothing', async () => {
    const id = batch.batch_id;
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/v1/batches/${id}`],
      ['GET', `/api/v1/batches/${id}/items`],
      ['POST', `/api/v1/batches/${id}/items`, { items: itemsOf(1, 'intruder') }],
      ['GET', `/api/v1/batches/${id}/results`],
      ['POST', `/api/v1/batches/${id}/start`],
      ['POST', `/api/v1/batches/${id}/pause`],
      ['POST', `/api/v1/batches/${id}/resume`, {}],
      ['POST', `/api/v1/batches/${id}/cancel`],
      ['POST', `/api/v1/batches/${id}/retry-failed`],
      ['DELETE', `/api/v1/batches/${id}`],
      ['GET', `/batch/${id}/status`],
      ['POST', `/batch/${id}/pause`],
      ['POST', `/batch/${id}/resume`],
      ['POST', `/batch/${id}/cancel`],
    ];
    for (const [method, path, body] of routes) {
      const answer = await bob.call(method, path, body);
      expect({ route: `${method} ${path}`, status: answer.status, code: errorOf(answer.body).code }).toEqual({
        route: `${method} ${path}`,
        status: 404,
        code: 'not_found',
      });
    }
    expect((await bob.call<{ batches: unknown[] }>('GET', '/api/v1/batches')).body.batches).toEqual([]);
    expect((await bob.call<{ count: number }>('GET', '/batch/list')).body.count).toBe(0);
    expect((await alice.call<BatchView>('GET', `/api/v1/batches/${id}`)).body).toMatchObject({
      status: 'pending',
      total_items: 2,
    });
  });
});

describe('auth with the keys of an identity provider (AUTH_JWKS_URL)', () => {
  it('accepts a token signed with a published key, with the required issuer and audience; refuses others', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] });
    const server = createHttpServer((_, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(jwks);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    afterAllClose.push(() => server.close());
    const gateway = await platform.gateway({
      AUTH_JWT_SECRET: '',
      AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      AUTH_ISSUER: 'https://id.example',
      AUTH_AUDIENCE: 'batch-api',
    });
    const sign = (key: typeof privateKey, claims: { iss: string; aud: string }) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject('alice')
        .setIssuer(claims.iss)
        .setAudience(claims.aud)
        .setExpirationTime('5m')
        .sign(key);
    const good = await sign(privateKey, { iss: 'https://id.example', aud: 'batch-api' });
    const answer = await call<BatchView>(gateway.baseUrl, good, 'GET', `/api/v1/batches/${batch.batch_id}`);
    expect(answer).toMatchObject({ status: 200, body: { batch_id: batch.batch_id } });

    const otherKey = (await generateKeyPair('RS256')).privateKey;
    const refused = [
      await sign(otherKey, { iss: 'https://id.example', aud: 'batch-api' }),
      await sign(privateKey, { iss: 'https://elsewhere.example', aud: 'batch-api' }),
      await sign(privateKey, { iss: 'https://id.example', aud: 'another-api' }),
      await tokenFor('alice'),
    ];
    for (const token of refused)
      expect((await call(gateway.baseUrl, token, 'GET', '/api/v1/batches')).status).toBe(401);
  });
});

describe('errors', () => {
  it('answers 400 to a body that is not JSON', async () => {
    const answer = await alice.call('POST', '/api/v1/batches', '{"items": [');
    expect(answer.status).toBe(400);
    expect(errorOf(answer.body)).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('JSON'),
    });
  });

  it('answers 422 naming every failing field', async () => {
    const answer = await alice.call('POST', '/api/v1/batches', {
      items: [{ id: 'a/b', topic: 'x' }, { id: 'ok' }],
      config: { provider: 'nope' },
    });
    expect(answer.status).toBe(422);
    const fields = (errorOf(answer.body).details as { field: string }[]).map((issue) => issue.field).sort();
    expect(fields).toEqual(['config.provider', 'items[0].id', 'items[1].topic']);
    const credentials = await alice.call('POST', '/api/v1/batches', {
      items: itemsOf(1),
      config: { apiKey: 'sk-1' },
    });
    expect(errorOf(credentials.body).details).toEqual([
      { field: 'config.apiKey', message: 'credentials are read from the environment, not a batch config' },
    ]);
  });

  it('answers 422 to a batch that would start with no items, and to a bad query', async () => {
    expect((await alice.call('POST', '/api/v1/batches', { items: [] })).status).toBe(422);
    expect((await alice.call('GET', '/api/v1/batches?limit=0')).status).toBe(422);
    expect((await alice.call('POST', '/api/v1/batches/cleanup', { days_old: -1 })).status).toBe(422);
  });

  it('answers 404 to an unknown route and to an id that cannot exist', async () => {
    expect((await alice.call('GET', '/api/v1/nothing-here')).status).toBe(404);
    const answer = await alice.call('GET', '/api/v1/batches/not.a.valid.id');
    expect(answer).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it('answers 409 with the reason to what the state forbids', async () => {
    const answer = await alice.call('POST', `/api/v1/batches/${batch.batch_id}/resume`, {});
    expect(answer.status).toBe(409);
    expect(errorOf(answer.body)).toEqual({
      code: 'conflict',
      message: 'cannot resume a pending batch',
      details: { reason: 'invalid_state' },
    });
  });

  it('answers 413 to a body over the limit, and 429 with Retry-After past the rate limit', async () => {
    const small = await platform.gateway({ MAX_BODY_BYTES: String(64 * 1024), RATE_LIMIT_REQUESTS: '5' });
    const carol = await platform.as('carol', small.baseUrl);
    const tooLarge = await carol.call('POST', '/api/v1/batches', { items: itemsOf(2_000) });
    expect(tooLarge).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<Caller['call']>> | undefined;
    while (!limited && statuses.length < 20) {
      const answer = await carol.call('GET', '/api/v1/batches');
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(limited?.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    // The limit is per user: another user is served.
    expect((await (await platform.as('dave', small.baseUrl)).call('GET', '/api/v1/batches')).status).toBe(
      200,
    );
  });
});

/** A TCP relay to a server that the test can cut and restore, like a network failure. */
async function relayTo(
  port: number,
): Promise<{ port: number; cut(): void; restore(): void; server: Server }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = connectTcp(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  const relayPort = await freePort();
  await new Promise<void>((resolve) => server.listen(relayPort, '127.0.0.1', resolve));
  return {
    port: relayPort,
    server,
    cut: () => {
      open = false;
      sockets.forEach((socket) => socket.destroy());
    },
    restore: () => {
      open = true;
    },
  };
}

describe('when a backing service is unreachable', () => {
  it('answers 503 while PostgreSQL is cut off, and /readyz says which', async () => {
    const url = new URL(platform.database.url);
    const relay = await relayTo(Number(url.port || 5432));
    url.port = String(relay.port);
    url.hostname = '127.0.0.1';
    const gateway = await platform.gateway({ DATABASE_URL: url.toString() });
    afterAllClose.push(() => relay.server.close());
    expect((await call(gateway.baseUrl, undefined, 'GET', '/readyz')).status).toBe(200);
    relay.cut();
    const ready = await call(gateway.baseUrl, undefined, 'GET', '/readyz');
    expect(ready).toMatchObject({
      status: 503,
      body: { error: { code: 'unavailable', details: { nats: 'up', postgres: 'down' } } },
    });
    const results = await call(
      gateway.baseUrl,
      alice.token,
      'GET',
      `/api/v1/batches/${batch.batch_id}/results`,
    );
    expect(results).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    expect((await call(gateway.baseUrl, undefined, 'GET', '/healthz')).status).toBe(200);
  });

  it('answers 503 at once while NATS is cut off, and serves again once the gateway has reconnected', async () => {
    const nats = new URL(platform.nats.url);
    const relay = await relayTo(Number(nats.port || 4222));
    afterAllClose.push(() => relay.server.close());
    const gateway = await platform.gateway({ NATS_URL: `nats://127.0.0.1:${relay.port}` });
    const path = `/api/v1/batches/${batch.batch_id}`;
    expect((await call(gateway.baseUrl, alice.token, 'GET', path)).status).toBe(200);
    relay.cut();
    await gateway.process.waitForLine('NATS disconnect');
    const answer = await call(gateway.baseUrl, alice.token, 'GET', path);
    expect(answer).toMatchObject({
      status: 503,
      body: { error: { code: 'unavailable', message: expect.stringContaining('NATS') } },
    });
    const ready = await call(gateway.baseUrl, undefined, 'GET', '/readyz');
    expect(ready).toMatchObject({
      status: 503,
      body: { error: { details: { nats: 'down', postgres: 'up' } } },
    });
    relay.restore();
    await gateway.process.waitForLine('NATS reconnect');
    expect((await call(gateway.baseUrl, alice.token, 'GET', path)).status).toBe(200);
  });

  it('answers 503 while no orchestrator answers, and serves again once one does', async () => {
    const path = `/api/v1/batches/${batch.batch_id}`;
    await platform.orchestrator.stop();
    const answer = await alice.call('GET', `${path}/items`);
    expect(answer).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.ts:\d+/);
    // The batch itself the gateway reads from the read model: that needs no orchestrator.
    expect((await alice.call('GET', path)).status).toBe(200);
    await platform.restartOrchestrator();
    expect((await alice.call('GET', `${path}/items`)).status).toBe(200);
  });
});

describe('docs, health and metrics', () => {
  it('serves the OpenAPI document with every route, the Swagger UI and the AsyncAPI document', async () => {
    const openApi = await call<{ paths: Record<string, object> }>(
      platform.baseUrl,
      undefined,
      'GET',
      '/api/openapi.json',
    );
    expect(Object.keys(openApi.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/batches',
        '/api/v1/batches/{id}',
        '/api/v1/batches/{id}/items',
        '/api/v1/batches/{id}/results',
        '/api/v1/batches/{id}/retry-failed',
        '/batch/start',
        '/batch/{id}/status',
        '/readyz',
      ]),
    );
    const ui = await call<string>(platform.baseUrl, undefined, 'GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.body).toContain('swagger');
    const asyncApi = await call<{ components: { messages: object } }>(
      platform.baseUrl,
      undefined,
      'GET',
      '/api/asyncapi.json',
    );
    expect(Object.keys(asyncApi.body.components.messages)).toEqual(
      expect.arrayContaining([
        'BatchCreated',
        'ItemCompleted',
        'ItemFailed',
        'BatchPaused',
        'BatchCompleted',
      ]),
    );
  });

  it('exposes requests, latencies, batches by status and items settled to Prometheus', async () => {
    await alice.call('GET', `/api/v1/batches/${batch.batch_id}`);
    const metrics = await call<string>(platform.baseUrl, undefined, 'GET', '/metrics');
    expect(metrics.body).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/batches\/:id",status="200"\} \d+/,
    );
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
    expect(metrics.body).toMatch(/batches\{status="pending"\} [1-9]/);
    expect(metrics.body).toMatch(/batch_items_settled \d+/);
  });
});
