import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApiErrorBody, BatchEvent, BatchView, ItemPage, ResultLine } from '@batch/contracts';
import { startPlatform, type Caller, type Platform } from '@batch/testing';

let platform: Platform;
let alice: Caller;

beforeAll(async () => {
  platform = await startPlatform();
  alice = await platform.as('alice');
}, 120_000);
afterAll(() => platform?.close());

const TEMPLATE = {
  provider: 'template' as const,
  userPromptTemplate: 'Explain {{topic}} in a {{parameters.tone}} tone.',
};

/** A pending batch, created with JSON as the CSV and JSON Lines flow starts. */
async function pendingBatch(config: object = { provider: 'template' }): Promise<string> {
  const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
    name: 'lines',
    config,
    items: [],
    autoStart: false,
  });
  expect(created.status).toBe(201);
  return created.body.batch_id;
}

/** POSTs a raw body as `contentType`, as curl --data-binary does. */
async function post(
  path: string,
  contentType: string,
  body: string,
  baseUrl = platform.baseUrl,
): Promise<{ status: number; body: BatchView & ApiErrorBody }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice.token}`, 'content-type': contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as BatchView & ApiErrorBody };
}

const addItems = (batchId: string, contentType: string, body: string, baseUrl?: string) =>
  post(`/api/v1/batches/${batchId}/items`, contentType, body, baseUrl);

const itemsOf = async (batchId: string) =>
  (await alice.call<ItemPage>('GET', `/api/v1/batches/${batchId}/items?limit=1000`)).body.items.map(
    ({ item_id, topic, parameters }) => ({ item_id, topic, parameters }),
  );

const completed = (batchId: string) => (events: BatchEvent[]) =>
  events.some((event) => event.batchId === batchId && event.type === 'BatchCompleted');

describe('items added as CSV', () => {
  it('takes every column besides id and topic as a parameter, quoted cells whole; the batch runs with them', async () => {
    const batchId = await pendingBatch(TEMPLATE);
    const csv =
      'id,topic,tone,note\ntides,tides,dry,\n,"waves, big ones",playful,"first line,\nsecond line"\n';
    const added = await addItems(batchId, 'text/csv', csv);
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ batch_id: batchId, status: 'pending', total_items: 2 });
    expect(await itemsOf(batchId)).toEqual([
      { item_id: 'tides', topic: 'tides', parameters: { tone: 'dry' } },
      // No id: its line number (the header is line 1).
      {
        item_id: '3',
        topic: 'waves, big ones',
        parameters: { tone: 'playful', note: 'first line,\nsecond line' },
      },
    ]);

    expect((await alice.call<BatchView>('POST', `/api/v1/batches/${batchId}/start`)).status).toBe(200);
    await platform.watcher.until(completed(batchId));
    const results = await alice.call<string>('GET', `/api/v1/batches/${batchId}/results`);
    const userTurns = Object.fromEntries(
      results.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as ResultLine)
        .map((line) => [line.item_id, line.turns.find((turn) => turn.role === 'user')?.content]),
    );
    expect(userTurns).toEqual({
      tides: 'Explain tides in a dry tone.',
      '3': 'Explain waves, big ones in a playful tone.',
    });
  });

  it('refuses a row without a value for a template variable, naming the item and the variable', async () => {
    const batchId = await pendingBatch(TEMPLATE);
    const refused = await addItems(batchId, 'text/csv', 'topic,tone\ntides,dry\nwaves,\n');
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain(
      'item 3 has no value for {{parameters.tone}} used in userPromptTemplate',
    );
    expect(await itemsOf(batchId)).toEqual([]);
  });

  it('refuses a malformed line with a 422 naming it; nothing of the body is added', async () => {
    const batchId = await pendingBatch();
    const refused = await addItems(batchId, 'text/csv', 'id,topic\na,tides\nb,"waves\n');
    expect(refused.status).toBe(422);
    expect(refused.body.error).toEqual({
      code: 'validation',
      message: expect.stringMatching(/^line 3: Quote Not Closed/i),
      details: [{ field: 'line 3', message: expect.stringMatching(/^Quote Not Closed/i) }],
    });
    const noTopic = await addItems(batchId, 'text/csv', 'id,subject\na,tides\n');
    expect(noTopic.status).toBe(422);
    expect(noTopic.body.error.message).toBe('line 1: the header needs a "topic" column (found id, subject)');
    expect(await itemsOf(batchId)).toEqual([]);
  });

  it('holds a CSV body to the same list rules as JSON items: unique ids across chunks too', async () => {
    const batchId = await pendingBatch();
    expect((await addItems(batchId, 'text/csv', 'id,topic\na,tides\n')).status).toBe(200);
    const again = await addItems(batchId, 'text/csv', 'id,topic\nb,waves\na,tides again\n');
    const againAsJson = await post(
      `/api/v1/batches/${batchId}/items`,
      'application/json',
      JSON.stringify({ items: [{ id: 'a', topic: 'tides again' }] }),
    );
    expect(again).toEqual(againAsJson);
    expect(again.status).toBe(422);
    expect(again.body.error.message).toMatch(/^item a is already in batch /);
    const twice = await addItems(batchId, 'text/csv', 'id,topic\nc,x\nc,y\n');
    expect(twice.status).toBe(422);
    expect(twice.body.error.message).toContain('duplicate item id c');
  });

  it('reads a large body off the event loop the same way: thousands of rows, then a bad one', async () => {
    const batchId = await pendingBatch();
    const rows = Array.from({ length: 8_000 }, (_, i) => `row-${i},"topic ${i}, at length",tone ${i % 7}`);
    const csv = `id,topic,tone\n${rows.join('\n')}\n`;
    expect(Buffer.byteLength(csv)).toBeGreaterThan(256 * 1024);
    const bad = await addItems(batchId, 'text/csv', `${csv}x,,dry\n`);
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toMatch(/^line 8002: topic: /);
    const added = await addItems(batchId, 'text/csv; charset=utf-8', csv);
    expect(added.status).toBe(200);
    expect(added.body.total_items).toBe(8_000);
  });

  it('answers 413 to a CSV body over the size limit, as for JSON', async () => {
    const small = await platform.gateway({ MAX_BODY_BYTES: String(64 * 1024) });
    const batchId = await pendingBatch();
    const rows = Array.from({ length: 5_000 }, (_, i) => `row-${i},topic ${i}`);
    const refused = await addItems(batchId, 'text/csv', `id,topic\n${rows.join('\n')}\n`, small.baseUrl);
    expect(refused.status).toBe(413);
    expect(refused.body.error.code).toBe('payload_too_large');
  });
});

describe('items added as JSON Lines', () => {
  it.each(['application/x-ndjson', 'application/jsonl'])(
    'takes one item a line as %s',
    async (contentType) => {
      const batchId = await pendingBatch(TEMPLATE);
      const jsonl = [
        '{"id":"tides","topic":"tides","parameters":{"tone":"dry"}}',
        '',
        '{"topic":"waves, big ones","parameters":{"tone":"playful","note":"a,\\nb"}}',
      ].join('\n');
      const added = await addItems(batchId, contentType, jsonl);
      expect(added.status).toBe(200);
      expect(added.body.total_items).toBe(2);
      expect(await itemsOf(batchId)).toEqual([
        { item_id: 'tides', topic: 'tides', parameters: { tone: 'dry' } },
        { item_id: '3', topic: 'waves, big ones', parameters: { tone: 'playful', note: 'a,\nb' } },
      ]);
    },
  );

  it('refuses a line that is not JSON, naming it', async () => {
    const batchId = await pendingBatch();
    const refused = await addItems(batchId, 'application/x-ndjson', '{"topic":"tides"}\n{"topic": waves}\n');
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toMatch(/^line 2: not JSON \(/);
  });
});

describe('content types', () => {
  it('refuses a type it does not read with a 415 saying which it takes', async () => {
    const batchId = await pendingBatch();
    const refused = await addItems(batchId, 'text/plain', '{"items":[{"id":"a","topic":"x"}]}');
    expect(refused.status).toBe(415);
    expect(refused.body.error).toEqual({
      code: 'unsupported_media_type',
      message: expect.stringContaining('takes application/json, text/csv or application/x-ndjson'),
    });
    const latin1 = await addItems(batchId, 'text/csv; charset=iso-8859-1', 'topic\nx\n');
    expect(latin1.status).toBe(415);
  });

  it('refuses the type before reading the body: 60 MB announced, a kilobyte sent, the 415 comes anyway', async () => {
    const batchId = await pendingBatch();
    const upload = request(`${platform.baseUrl}/api/v1/batches/${batchId}/items`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice.token}`,
        'content-type': 'text/plain',
        'content-length': 60_000_000,
      },
    });
    upload.on('error', () => undefined); // the gateway closes the connection once it has answered
    upload.write('x'.repeat(1024));
    const [answer] = (await once(upload, 'response')) as [IncomingMessage];
    expect(answer.statusCode).toBe(415);
    expect(JSON.parse(await text(answer))).toMatchObject({ error: { code: 'unsupported_media_type' } });
    upload.destroy();
  });

  it('sends CSV given to create to add items, and still reads JSON there', async () => {
    const refused = await post('/api/v1/batches', 'text/csv', 'topic\ntides\n');
    expect(refused.status).toBe(415);
    expect(refused.body.error.message).toContain('POST /api/v1/batches/{id}/items');
    const batchId = await pendingBatch();
    const json = await addItems(
      batchId,
      'application/json',
      JSON.stringify({ items: [{ id: 'a', topic: 'x' }] }),
    );
    expect(json.status).toBe(200);
    expect(json.body.total_items).toBe(1);
  });
});
