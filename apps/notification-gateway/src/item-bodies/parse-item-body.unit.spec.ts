import { describe, expect, it } from '@jest/globals';
import type { ItemSpec } from '@batch/contracts';
import { ApiError } from '../http/api-error.js';
import { itemBodyMediaOf, type ItemBodyMedia } from './item-body-media.js';
import { parseItemBody, type ItemBodyKind } from './parse-item-body.js';

const addItems = (media: ItemBodyMedia, text: string) =>
  parseItemBody({
    kind: 'add-items',
    media,
    body: new TextEncoder().encode(text),
    userId: 'alice',
    batchId: 'batch_1',
    maxPayload: 1024 * 1024,
  });

const itemsOf = async (media: ItemBodyMedia, text: string): Promise<ItemSpec[]> => {
  const parsed = await addItems(media, text);
  if (!parsed.ok) throw new Error(`expected items, got ${JSON.stringify(parsed)}`);
  return parsed.chunks.flatMap((chunk) => JSON.parse(new TextDecoder().decode(chunk)) as ItemSpec[]);
};

const refusal = (kind: ItemBodyKind, contentType: string) => {
  try {
    itemBodyMediaOf(kind, contentType);
  } catch (error) {
    return error instanceof ApiError ? { status: error.status, message: error.message } : error;
  }
  throw new Error(`${contentType} was taken`);
};

describe('the media of an item body', () => {
  it.each([
    [undefined, 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/merge-patch+json', 'json'],
    ['text/csv', 'csv'],
    ['Text/CSV; charset="UTF-8"', 'csv'],
    ['application/x-ndjson', 'jsonl'],
    ['application/jsonl; charset=utf-8', 'jsonl'],
  ])('adding items, %s is read as %s', (contentType, media) => {
    expect(itemBodyMediaOf('add-items', contentType)).toBe(media);
  });

  it('refuses adding items in another type, or another charset, with a 415 saying what is taken', () => {
    expect(refusal('add-items', 'text/plain')).toEqual({
      status: 415,
      message: expect.stringMatching(/^unsupported content type text\/plain: .*text\/csv/),
    });
    expect(refusal('add-items', 'text/csv; charset=windows-1252')).toEqual({
      status: 415,
      message: 'text/csv bodies are read as UTF-8, not windows-1252',
    });
  });

  it('sends CSV and JSON Lines given to create to add items; other types there are read as JSON, as before', () => {
    expect(refusal('create', 'text/csv')).toEqual({
      status: 415,
      message: expect.stringContaining('POST /api/v1/batches/{id}/items'),
    });
    expect(itemBodyMediaOf('create', 'text/plain')).toBe('json');
    expect(itemBodyMediaOf('seed-start', 'application/x-www-form-urlencoded')).toBe('json');
  });
});

describe('an add-items body as lines', () => {
  it('reads CSV and JSON Lines by batchctl create rules, ids defaulting to line numbers', async () => {
    expect(await itemsOf('csv', 'topic,tone\ntides,dry\n"a, b",\n')).toEqual([
      { id: '2', topic: 'tides', parameters: { tone: 'dry' } },
      { id: '3', topic: 'a, b' },
    ]);
    expect(
      await itemsOf('jsonl', '{"topic":"tides"}\n\n{"id":"w","topic":"waves","parameters":{"n":1}}\n'),
    ).toEqual([
      { id: '1', topic: 'tides' },
      { id: 'w', topic: 'waves', parameters: { n: 1 } },
    ]);
  });

  it('names the bad line and why', async () => {
    expect(await addItems('csv', 'id,topic\na,x\nb,"y\n')).toEqual({
      ok: false,
      error: 'line',
      line: 3,
      reason: expect.stringMatching(/quote not closed/i),
    });
    expect(await addItems('jsonl', '{"topic":"x"}\n{"topic":"y","tone":"dry"}\n')).toEqual({
      ok: false,
      error: 'line',
      line: 2,
      reason: 'unknown field "tone" (an item has id, topic, parameters)',
    });
  });

  it('holds the lines to the list rules of JSON items: at least one, unique ids', async () => {
    expect(await addItems('csv', 'topic,tone\n')).toMatchObject({
      ok: false,
      error: 'validation',
      issues: [{ field: 'items' }],
    });
    expect(await addItems('jsonl', '{"id":"a","topic":"x"}\n{"id":"a","topic":"y"}\n')).toMatchObject({
      ok: false,
      error: 'validation',
      issues: [{ field: 'items[1].id', message: 'duplicate item id a' }],
    });
  });

  it('reads a JSON body as before, whatever else it holds', async () => {
    expect(await itemsOf('json', JSON.stringify({ items: [{ id: 'a', topic: 'x' }] }))).toEqual([
      { id: 'a', topic: 'x' },
    ]);
  });
});
