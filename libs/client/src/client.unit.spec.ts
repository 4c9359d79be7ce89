import { describe, expect, it } from '@jest/globals';
import type { ItemView } from '@batch/contracts';
import { ApiError, isApiError } from './api-error.js';
import { createClient } from './client.js';
import { batchView, fakeFetch, json, streamed } from './client.spec-helpers.js';

const clientWith = (fetch: typeof globalThis.fetch) =>
  createClient({ baseUrl: 'http://gateway:3000/', token: 'jwt', fetch });

const item = (id: string): ItemView => ({
  item_id: id,
  position: 0,
  topic: 't',
  parameters: null,
  status: 'completed',
  attempt: 1,
  conversation_id: `c-${id}`,
  error: null,
});

const caught = async (promise: Promise<unknown>): Promise<ApiError> => {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isApiError(error)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
};

describe('requests', () => {
  it('sends the token, the JSON body and the route', async () => {
    const { fetch, requests } = fakeFetch(() => json(batchView(), 201));
    await clientWith(fetch).createBatch({ name: 'n', items: [{ id: 'a', topic: 't' }] });
    expect(requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/batches',
      headers: { authorization: 'Bearer jwt', 'content-type': 'application/json' },
      body: { name: 'n', items: [{ id: 'a', topic: 't' }] },
    });
  });

  it('maps every action to its route', async () => {
    const { fetch, requests } = fakeFetch((request) =>
      request.method === 'DELETE' ? new Response(null, { status: 204 }) : json(batchView()),
    );
    const client = clientWith(fetch);
    await client.startBatch('b1');
    await client.pauseBatch('b1');
    await client.resumeBatch('b1', { configOverrides: { temperature: 0.5 } });
    await client.cancelBatch('b1');
    await client.retryFailed('b1');
    await client.discardBatch('b1');
    await client.cleanup(7);
    expect(requests.map((request) => [request.method, request.path, request.body])).toEqual([
      ['POST', '/api/v1/batches/b1/start', undefined],
      ['POST', '/api/v1/batches/b1/pause', undefined],
      ['POST', '/api/v1/batches/b1/resume', { configOverrides: { temperature: 0.5 } }],
      ['POST', '/api/v1/batches/b1/cancel', undefined],
      ['POST', '/api/v1/batches/b1/retry-failed', undefined],
      ['DELETE', '/api/v1/batches/b1', undefined],
      ['POST', '/api/v1/batches/cleanup', { days_old: 7 }],
    ]);
  });

  it('escapes ids in the path and leaves unset query parameters out', async () => {
    const { fetch, requests } = fakeFetch(() => json({ items: [], next_cursor: null }));
    await clientWith(fetch).listItems('a/b?c', { status: 'failed', limit: 50 });
    expect(requests[0]).toMatchObject({
      path: '/api/v1/batches/a%2Fb%3Fc/items',
      query: { status: 'failed', limit: '50' },
    });
  });
});

describe('pages and streams', () => {
  it('walks every page of items by cursor', async () => {
    const pages: Record<string, { items: ItemView[]; next_cursor: string | null }> = {
      first: { items: [item('a'), item('b')], next_cursor: 'p2' },
      p2: { items: [item('c')], next_cursor: null },
    };
    const { fetch, requests } = fakeFetch((request) => json(pages[request.query['cursor'] ?? 'first']));
    const ids: string[] = [];
    for await (const each of clientWith(fetch).allItems('b1', { status: 'completed' }))
      ids.push(each.item_id);
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(requests.map((request) => request.query)).toEqual([
      { status: 'completed' },
      { status: 'completed', cursor: 'p2' },
    ]);
  });

  it('parses the results as they stream, whatever the chunk boundaries', async () => {
    const { fetch } = fakeFetch(() =>
      streamed(['{"item_id":"a","conv', 'ersation_id":"c1"}\n{"item_id":"b",', '"conversation_id":"c2"}\n']),
    );
    const lines = [];
    for await (const line of clientWith(fetch).results('b1')) lines.push(line);
    expect(lines).toEqual([
      { item_id: 'a', conversation_id: 'c1' },
      { item_id: 'b', conversation_id: 'c2' },
    ]);
  });
});

describe('errors', () => {
  it('throws the API error of the body, with its details', async () => {
    const details = [{ field: 'items[0].topic', message: 'Required' }];
    const { fetch } = fakeFetch(() =>
      json({ error: { code: 'validation', message: 'invalid batch', details } }, 422),
    );
    const error = await caught(clientWith(fetch).createBatch({ items: [] }));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: 'validation', message: 'invalid batch', details });
  });

  it('derives the code from the status when the body is not the API error JSON', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response('<html><body>502 Bad Gateway</body></html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    const error = await caught(clientWith(fetch).getBatch('b1'));
    expect(error).toMatchObject({
      status: 502,
      code: 'unavailable',
      message: '<html><body>502 Bad Gateway</body></html>',
    });
  });

  it('uses the status line for an empty error body', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 404, statusText: 'Not Found' }));
    expect(await caught(clientWith(fetch).getBatch('b1'))).toMatchObject({
      status: 404,
      code: 'not_found',
      message: 'HTTP 404 Not Found',
    });
  });

  it('keeps the message of an error body with an unknown code, coded by its status', async () => {
    const { fetch } = fakeFetch(() => json({ error: { code: 'teapot', message: 'short and stout' } }, 418));
    expect(await caught(clientWith(fetch).getBatch('b1'))).toMatchObject({
      status: 418,
      code: 'bad_request',
      message: 'short and stout',
    });
  });

  it('turns a refused connection into unavailable with status 0 and the reason', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    const fetch = (async () => {
      throw refused;
    }) as typeof globalThis.fetch;
    expect(await caught(clientWith(fetch).listBatches())).toMatchObject({
      status: 0,
      code: 'unavailable',
      message: 'cannot reach http://gateway:3000: fetch failed (ECONNREFUSED)',
    });
  });

  it('turns a results stream cut off mid-body into unavailable', async () => {
    let sent = false;
    const { fetch } = fakeFetch(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              if (sent) return controller.error(new Error('socket hang up'));
              sent = true;
              controller.enqueue(new TextEncoder().encode('{"item_id":"a"}\n{"item'));
            },
          }),
        ),
    );
    const lines: unknown[] = [];
    const reading = (async () => {
      for await (const line of clientWith(fetch).results('b1')) lines.push(line);
    })();
    expect(await caught(reading)).toMatchObject({ status: 0, code: 'unavailable' });
    expect(lines).toEqual([{ item_id: 'a' }]);
  });

  it('refuses a 2xx answer that is not JSON', async () => {
    const { fetch } = fakeFetch(() => new Response('ok', { status: 200 }));
    expect(await caught(clientWith(fetch).getBatch('b1'))).toMatchObject({ status: 200, code: 'internal' });
  });
});
