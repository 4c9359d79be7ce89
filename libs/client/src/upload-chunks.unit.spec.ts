import { describe, expect, it } from '@jest/globals';
import { itemBytes, MAX_ITEMS_PER_REQUEST, type ItemSpec } from '@batch/contracts';
import { chunksOf, MAX_REQUEST_BODY_BYTES } from './upload-chunks.js';

const items = (count: number, topicLength = 10): ItemSpec[] =>
  Array.from({ length: count }, (_, index) => ({ id: `item-${index}`, topic: 'x'.repeat(topicLength) }));

const collect = async (
  source: AsyncIterable<ItemSpec> | Iterable<ItemSpec>,
  maxItems: number,
  maxBytes: number,
) => {
  const chunks: ItemSpec[][] = [];
  for await (const chunk of chunksOf(source, { maxItems, maxBytes })) chunks.push(chunk);
  return chunks;
};

const jsonBytes = (chunk: ItemSpec[]) => Buffer.byteLength(JSON.stringify(chunk));

describe('chunking items for upload', () => {
  it('bounds each chunk by count and keeps every item in order', async () => {
    const chunks = await collect(items(25), 10, Number.MAX_SAFE_INTEGER);
    expect(chunks.map((chunk) => chunk.length)).toEqual([10, 10, 5]);
    expect(chunks.flat()).toEqual(items(25));
  });

  it('bounds each chunk by the bytes of its JSON array, filling it as far as it goes', async () => {
    const all = items(100, 500);
    const maxBytes = 4 * 1024;
    const chunks = await collect(all, 1_000, maxBytes);
    expect(chunks.flat()).toEqual(all);
    for (const chunk of chunks) expect(jsonBytes(chunk)).toBeLessThanOrEqual(maxBytes);
    for (const [index, chunk] of chunks.slice(0, -1).entries())
      expect(jsonBytes([...chunk, chunks[index + 1][0]])).toBeGreaterThan(maxBytes);
  });

  it('counts the bytes of the JSON exactly (an array exactly at the budget is one chunk)', async () => {
    const all = items(3);
    const chunks = await collect(all, 10, jsonBytes(all));
    expect(chunks).toEqual([all]);
    expect(itemBytes(all[0]) * 3 + 4).toBe(jsonBytes(all));
  });

  it('reads an async source', async () => {
    async function* source() {
      yield* items(7);
    }
    expect((await collect(source(), 3, Number.MAX_SAFE_INTEGER)).map((chunk) => chunk.length)).toEqual([
      3, 3, 1,
    ]);
  });

  it('sends an item larger than the budget alone, for the server to refuse by name', async () => {
    const [small, large] = [items(1)[0], { id: 'large', topic: 'x'.repeat(200) }];
    expect(await collect([small, large, small], 10, 100)).toEqual([[small], [large], [small]]);
  });

  it('yields nothing for no items', async () => {
    expect(await collect([], 10, 100)).toEqual([]);
  });

  it('defaults to the API limits', async () => {
    const chunks: ItemSpec[][] = [];
    for await (const chunk of chunksOf(items(MAX_ITEMS_PER_REQUEST + 1))) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.length)).toEqual([MAX_ITEMS_PER_REQUEST, 1]);
    expect(jsonBytes(chunks[0])).toBeLessThanOrEqual(MAX_REQUEST_BODY_BYTES);
  });
});
