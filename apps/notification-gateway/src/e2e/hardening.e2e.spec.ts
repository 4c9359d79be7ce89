import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { batchAggregate } from '@batch/batch-domain';
import { createEventStore } from '@batch/event-store';
import type { ApiErrorBody, BatchList, BatchView, ItemPage } from '@batch/contracts';
import {
  call,
  itemsOf,
  startPlatform,
  tokenFor,
  type Answer,
  type Caller,
  type Platform,
} from '@batch/testing';

/** Every case here answered a 500, hung, or stalled the gateway before: each must be a 4xx, or work. */

let platform: Platform;
let alice: Caller;

beforeAll(async () => {
  platform = await startPlatform();
  alice = await platform.as('alice');
}, 120_000);
afterAll(() => platform?.close());

const errorOf = (answer: Answer) => (answer.body as ApiErrorBody).error;

function expectRefused(answer: Answer, status: number, field?: string): void {
  expect(answer.status).toBe(status);
  expect(errorOf(answer).message).toEqual(expect.any(String));
  if (field)
    expect((errorOf(answer).details as { field: string }[]).map((issue) => issue.field)).toContain(field);
}

/** JSON of a value nested `depth` levels deep (as text: stringifying it would overflow the test's stack). */
const nested = (depth: number): string => `${'{"d":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('text PostgreSQL cannot store', () => {
  it('is refused at the edge with a 422 naming the field, wherever it is', async () => {
    expectRefused(
      await alice.call('POST', '/api/v1/batches', { name: 'a\u0000b', items: itemsOf(1) }),
      422,
      'name',
    );
    expectRefused(
      await alice.call('POST', '/api/v1/batches', { items: [{ id: '\u0000', topic: 't' }] }),
      422,
      'items[0].id',
    );
    expectRefused(
      await alice.call('POST', '/api/v1/batches', {
        items: [{ id: 'x', topic: 't', parameters: { p: '\ud800' } }],
      }),
      422,
      'items[0].parameters.p',
    );
    const pending = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: itemsOf(1),
      autoStart: false,
    });
    expectRefused(
      await alice.call('POST', `/api/v1/batches/${pending.body.batch_id}/resume`, {
        configOverrides: { ['k\u0000']: 1 },
      }),
      422,
    );
    expectRefused(
      await alice.call('POST', '/batch/start', { photo_ids: [1], session_id: 'a\u0000' }),
      422,
      'session_id',
    );
  });

  it("in a token's subject is a 401, not a failing query", async () => {
    const answer = await call(platform.baseUrl, await tokenFor('eve\u0000'), 'GET', '/api/v1/batches');
    expect(answer.status).toBe(401);
    expect(errorOf(answer).code).toBe('unauthorized');
  });

  it('written straight into the log does not stop the read model: it is stored replaced, and every user reads fresh data', async () => {
    const events = await createEventStore(platform.nats.nc, {
      aggregate: batchAggregate(platform.nats.names),
    });
    await events.append('poisoned_batch', [
      {
        eventId: 'poison-1',
        type: 'BatchCreated',
        batchId: 'poisoned_batch',
        occurredAt: new Date().toISOString(),
        schemaVersion: 1,
        data: {
          batchId: 'poisoned_batch',
          userId: 'mallory',
          name: 'a\u0000b',
          config: { provider: 'template' },
          totalItems: 0,
        },
      },
    ]);
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      name: 'after the poison',
      items: itemsOf(1),
    });
    expect(created.status).toBe(201);
    // Reads wait for the read model to hold every event stored before them: it got past the poison.
    const listed = await alice.call<BatchList>('GET', '/api/v1/batches');
    expect(listed.body.batches.map((batch) => batch.batch_id)).toContain(created.body.batch_id);
    const mallory = await platform.as('mallory');
    expect((await mallory.call<BatchView>('GET', '/api/v1/batches/poisoned_batch')).body).toMatchObject({
      name: 'a\uFFFDb',
      status: 'pending',
    });
  });
});

describe('values that reached PostgreSQL or NATS as 500s', () => {
  it.each(['/api/v1/batches/cleanup', '/batch/cleanup'])(
    'refuses a cleanup further back than a century on %s',
    async (path) => {
      for (const days_old of [300_000_000, 2_147_483_648, 9_007_199_254_740_991])
        expectRefused(await alice.call('POST', path, { days_old }), 422, 'days_old');
    },
  );

  it('refuses cursors PostgreSQL could not compare', async () => {
    const batch = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: itemsOf(1),
      autoStart: false,
    });
    expectRefused(
      await alice.call('GET', `/api/v1/batches/${batch.body.batch_id}/items?cursor=WzIxNDc0ODM2NDhd`),
      422,
    );
    expectRefused(
      await alice.call('GET', `/api/v1/batches?cursor=${b64(['2026-11-30T10:00:00.000Z', 'x\u0000'])}`),
      422,
    );
  });

  it('refuses nesting 5,000 levels deep in parameters and config, on every route that takes them', async () => {
    const deep = nested(5_000);
    const pending = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: itemsOf(1),
      autoStart: false,
    });
    const id = pending.body.batch_id;
    const item = (itemId: string) => `{"id":"${itemId}","topic":"t","parameters":{"deep":${deep}}}`;
    expectRefused(await alice.call('POST', '/api/v1/batches', `{"items":[${item('x')}]}`), 422);
    expectRefused(
      await alice.call(
        'POST',
        '/api/v1/batches',
        `{"items":[{"id":"x","topic":"t"}],"config":{"deep":${deep}}}`,
      ),
      422,
    );
    expectRefused(await alice.call('POST', `/api/v1/batches/${id}/items`, `{"items":[${item('y')}]}`), 422);
    expectRefused(
      await alice.call('POST', `/api/v1/batches/${id}/resume`, `{"configOverrides":{"deep":${deep}}}`),
      422,
    );
    expectRefused(
      await alice.call('POST', '/batch/start', `{"photo_ids":[1],"config":{"deep":${deep}}}`),
      422,
    );
  });

  it('refuses a config NATS could not carry beside its items: a 1 MB key, or 600 KB beside 10 items of 60 KB', async () => {
    const answer = await alice.call('POST', '/api/v1/batches', {
      items: itemsOf(1),
      config: { ['k'.repeat(1_000_000)]: 1 },
    });
    expect([413, 422]).toContain(answer.status);
    const items = itemsOf(10).map((item) => ({ ...item, parameters: { blob: 'b'.repeat(60_000) } }));
    expectRefused(
      await alice.call('POST', '/api/v1/batches', { items, config: { note: 'n'.repeat(600_000) } }),
      422,
      'config',
    );
  });

  it('runs a batch with the largest config beside the largest items: the limits add up to what NATS carries', async () => {
    const config = { provider: 'template', note: 'n'.repeat(64 * 1024 - 100) };
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: [{ id: 'first', topic: 't' }],
      config,
      autoStart: false,
    });
    expect(created.status).toBe(201);
    const id = created.body.batch_id;
    const large = itemsOf(9).map((item) => ({ ...item, parameters: { blob: 'b'.repeat(60_000) } }));
    expect((await alice.call('POST', `/api/v1/batches/${id}/items`, { items: large })).status).toBe(200);
    expect((await alice.call('POST', `/api/v1/batches/${id}/start`)).status).toBe(200);
    await platform.watcher.until((events) =>
      events.some((event) => event.batchId === id && event.type === 'BatchCompleted'),
    );
    expect((await alice.call<BatchView>('GET', `/api/v1/batches/${id}`)).body).toMatchObject({
      status: 'completed',
      processed_count: 10,
    });
  });

  it('takes maxTokens and tokensPerMinute as settings, refuses apiKey as a credential', async () => {
    const settings = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: itemsOf(1),
      autoStart: false,
      config: { provider: 'template', maxTokens: 300, max_tokens: 300, tokensPerMinute: 1000 },
    });
    expect(settings.status).toBe(201);
    expectRefused(
      await alice.call('POST', '/api/v1/batches', { items: itemsOf(1), config: { apiKey: 'sk-1' } }),
      422,
      'config.apiKey',
    );
  });
});

describe('cleanup racing commands on the batches it removes', () => {
  it('leaves every one of them answering at once: 404 once removed, never a hang', async () => {
    // A gateway that gives up on the orchestrator after 5 s: a load that hangs would show as a 503.
    const { baseUrl } = await platform.gateway({
      ORCHESTRATOR_TIMEOUT_MS: '5000',
      RATE_LIMIT_REQUESTS: '100000',
    });
    const racer = await platform.as('racer', baseUrl);
    for (let trial = 0; trial < 5; trial++) {
      const ids: string[] = [];
      for (let index = 0; index < 4; index++) {
        const batch = await racer.call<BatchView>('POST', '/api/v1/batches', { items: itemsOf(2) });
        ids.push(batch.body.batch_id);
      }
      await platform.watcher.until((events) =>
        ids.every((id) => events.some((event) => event.batchId === id && event.type === 'BatchCompleted')),
      );
      const commands = ids.flatMap((id) => [
        racer.call('POST', `/api/v1/batches/${id}/retry-failed`),
        racer.call('GET', `/api/v1/batches/${id}`),
        racer.call('GET', `/api/v1/batches/${id}/items`),
        racer.call('POST', `/api/v1/batches/${id}/cancel`),
      ]);
      const [cleanup, ...racing] = await Promise.all([
        racer.call<{ cleaned_count: number }>('POST', '/api/v1/batches/cleanup', { days_old: 0 }),
        ...commands,
      ]);
      expect(cleanup.status).toBe(200);
      for (const answer of racing) expect(answer.status).toBeLessThan(500);
      for (const id of ids) {
        expect((await racer.call('GET', `/api/v1/batches/${id}`)).status).toBe(404);
        expect((await racer.call('POST', `/api/v1/batches/${id}/retry-failed`)).status).toBe(404);
        expect((await racer.call('DELETE', `/api/v1/batches/${id}`)).status).toBe(404);
      }
    }
  });
});

/** Sends raw HTTP: headers first, then the body in pieces, answering as soon as the server does. */
function rawRequest(
  path: string,
  headers: Record<string, string | number>,
): {
  write(piece: string | Buffer): void;
  end(piece?: string | Buffer): Promise<void>;
  response: Promise<{ status: number; body: string }>;
} {
  const url = new URL(platform.baseUrl);
  const request = httpRequest({ host: url.hostname, port: url.port, path, method: 'POST', headers });
  request.on('error', () => undefined);
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.once('response', (incoming: IncomingMessage) => {
      let body = '';
      incoming.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      incoming.once('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
      incoming.once('error', reject);
    });
    request.once('close', () => setTimeout(() => reject(new Error('closed without an answer')), 1_000));
  });
  return {
    write: (piece) => void request.write(piece),
    end: (piece) => new Promise<void>((resolve) => request.end(piece ?? '', () => resolve())),
    response,
  };
}

describe('large bodies', () => {
  it('are refused without a token before they are read', async () => {
    const upload = rawRequest('/api/v1/batches', {
      'content-type': 'application/json',
      'content-length': 60_000_000,
    });
    upload.write(`{"items":[${'{"id":"a","topic":"t"},'.repeat(40)}`);
    // Only a kilobyte of the announced 60 MB was sent: the answer comes anyway.
    const answer = await upload.response;
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('are parsed off the event loop: /healthz keeps answering while a 60 MB body is read', async () => {
    const item = (index: number) => ({ id: `big-${index}`, topic: `topic ${index} ${'x'.repeat(560)}` });
    const items = Array.from({ length: 100_000 }, (_, index) => item(index));
    // The last item is invalid: the whole body is parsed and validated, then refused.
    items[99_999] = { id: 'bad item', topic: 't' };
    const body = Buffer.from(JSON.stringify({ items, autoStart: false }));
    expect(body.length).toBeGreaterThan(60_000_000);
    const upload = rawRequest('/api/v1/batches', {
      'content-type': 'application/json',
      'content-length': body.length,
      authorization: `Bearer ${alice.token}`,
    });
    let answered = false;
    const answer = upload.response.finally(() => (answered = true));
    await upload.end(body);
    // Sent: from here the gateway holds the whole body, and parses it.
    let healthAnswers = 0;
    while (!answered) {
      const health = await call(platform.baseUrl, undefined, 'GET', '/healthz');
      expect(health.status).toBe(200);
      if (!answered) healthAnswers++;
    }
    const refused = await answer;
    expect(refused.status).toBe(422);
    expect(JSON.parse(refused.body)).toMatchObject({
      error: { code: 'validation', details: [{ field: 'items[99999].id' }] },
    });
    expect(healthAnswers).toBeGreaterThanOrEqual(3);
  });
});

describe('what Node answers itself', () => {
  it('answers headers over 16 KiB with a 431 in the JSON error shape', async () => {
    const upload = rawRequest('/api/v1/batches', { 'x-padding': 'p'.repeat(20_000), 'content-length': 0 });
    await upload.end();
    const answer = await upload.response;
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: 'headers_too_large', message: 'the request headers are over 16 KiB' },
    });
  });
});

it('answers a page of items of a live batch after all of the above: the read model is fresh', async () => {
  const batch = await alice.call<BatchView>('POST', '/api/v1/batches', {
    items: itemsOf(3),
    autoStart: false,
  });
  const page = await alice.call<ItemPage>('GET', `/api/v1/batches/${batch.body.batch_id}/items`);
  expect(page.body.items.map((item) => item.item_id)).toEqual(['item-0', 'item-1', 'item-2']);
});
