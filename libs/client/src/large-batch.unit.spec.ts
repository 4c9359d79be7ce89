import { describe, expect, it } from '@jest/globals';
import type { ItemSpec } from '@batch/contracts';
import { createClient } from './client.js';
import { batchView, fakeFetch, json, type SeenRequest } from './client.spec-helpers.js';

const items = (count: number, topicLength = 10): ItemSpec[] =>
  Array.from({ length: count }, (_, index) => ({ id: `item-${index}`, topic: 'x'.repeat(topicLength) }));

/** A gateway that keeps count of the items it was given. */
function fakeGateway(refuse?: (request: SeenRequest) => Response | undefined) {
  let total = 0;
  return fakeFetch((request) => {
    const refusal = refuse?.(request);
    if (refusal) return refusal;
    const body = request.body as { items?: ItemSpec[] } | undefined;
    total += body?.items?.length ?? 0;
    if (request.method === 'DELETE') return new Response(null, { status: 204 });
    const status = request.path.endsWith('/start') ? 'running' : 'pending';
    return json(
      batchView({ batch_id: 'big', status, total_items: total }),
      request.path === '/api/v1/batches' ? 201 : 200,
    );
  });
}

const upload = (
  fetch: typeof globalThis.fetch,
  source: Iterable<ItemSpec> | AsyncIterable<ItemSpec>,
  extra = {},
) =>
  createClient({ baseUrl: 'http://gateway', token: 't', fetch }).createLargeBatch({
    name: 'large',
    config: { provider: 'template' },
    items: source,
    autoStart: true,
    ...extra,
  });

const calls = (requests: SeenRequest[]) => requests.map((request) => `${request.method} ${request.path}`);

describe('uploading a large batch', () => {
  it('creates it unstarted with the first chunk, adds the rest, then starts it', async () => {
    const { fetch, requests } = fakeGateway();
    const progress: number[] = [];
    const batch = await upload(fetch, items(25), {
      limits: { maxItems: 10 },
      onProgress: (uploaded: number) => progress.push(uploaded),
    });
    expect(calls(requests)).toEqual([
      'POST /api/v1/batches',
      'POST /api/v1/batches/big/items',
      'POST /api/v1/batches/big/items',
      'POST /api/v1/batches/big/start',
    ]);
    expect(requests[0].body).toEqual({
      name: 'large',
      config: { provider: 'template' },
      items: items(25).slice(0, 10),
      autoStart: false,
    });
    expect(requests.flatMap((request) => (request.body as { items?: ItemSpec[] })?.items ?? [])).toEqual(
      items(25),
    );
    expect(progress).toEqual([10, 20, 25]);
    expect(batch).toMatchObject({ status: 'running', total_items: 25 });
  });

  it('keeps every request body within the byte budget, the create envelope included', async () => {
    const { fetch, requests } = fakeGateway();
    const maxBytes = 16 * 1024;
    await upload(fetch, items(200, 1_000), { limits: { maxBytes }, name: 'n'.repeat(150) });
    expect(requests.length).toBeGreaterThan(3);
    for (const request of requests) expect(request.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it('leaves the batch unstarted without autoStart', async () => {
    const { fetch, requests } = fakeGateway();
    const batch = await upload(fetch, items(3), { autoStart: false });
    expect(calls(requests)).toEqual(['POST /api/v1/batches']);
    expect(batch.status).toBe('pending');
  });

  it('creates an empty batch from no items', async () => {
    const { fetch, requests } = fakeGateway();
    await upload(fetch, []);
    expect(calls(requests)).toEqual(['POST /api/v1/batches', 'POST /api/v1/batches/big/start']);
    expect((requests[0].body as { items: ItemSpec[] }).items).toEqual([]);
  });

  it('discards the half-uploaded batch when the item source fails, and throws its error', async () => {
    const { fetch, requests } = fakeGateway();
    async function* badAtTwelve() {
      yield* items(11);
      throw new Error('line 12: topic is required');
    }
    await expect(upload(fetch, badAtTwelve(), { limits: { maxItems: 5 } })).rejects.toThrow('line 12');
    expect(calls(requests)).toEqual([
      'POST /api/v1/batches',
      'POST /api/v1/batches/big/items',
      'DELETE /api/v1/batches/big',
    ]);
  });

  it('discards the batch when a chunk is refused, and throws the refusal', async () => {
    const { fetch, requests } = fakeGateway((request) =>
      request.path.endsWith('/items')
        ? json({ error: { code: 'conflict', message: 'duplicate item id item-1' } }, 409)
        : undefined,
    );
    await expect(upload(fetch, items(4), { limits: { maxItems: 2 } })).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
    });
    expect(calls(requests).at(-1)).toBe('DELETE /api/v1/batches/big');
  });

  it('creates nothing when the first chunk is refused, and stops reading the items', async () => {
    const { fetch, requests } = fakeGateway(() =>
      json({ error: { code: 'validation', message: 'invalid items' } }, 422),
    );
    let closed = false;
    async function* source() {
      try {
        yield* items(10);
      } finally {
        closed = true;
      }
    }
    await expect(upload(fetch, source(), { limits: { maxItems: 2 } })).rejects.toMatchObject({
      code: 'validation',
    });
    expect(calls(requests)).toEqual(['POST /api/v1/batches']);
    expect(closed).toBe(true);
  });
});
