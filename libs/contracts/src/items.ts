import { z } from 'zod';
import { ItemId } from './ids.js';
import { jsonBytes, utf8Bytes } from './storable-json.js';

/** One unit of work: an item becomes one conversation. */
export const ItemSpec = z.object({
  id: ItemId,
  topic: z.string().min(1).max(4000),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type ItemSpec = z.infer<typeof ItemSpec>;

/** No single item may exceed this once serialized, so every item fits in one message with room to spare. */
export const MAX_ITEM_BYTES = 64 * 1024;

/**
 * Byte budget of the items of one `ItemsAdded` event. Well under NATS's default 1 MiB max payload,
 * leaving room for the envelope and headers whatever the server's limit.
 */
export const ITEMS_CHUNK_MAX_BYTES = 512 * 1024;

export const itemBytes = (item: ItemSpec): number => jsonBytes(item);

/**
 * Splits values into consecutive chunks whose JSON array stays within `maxBytes`.
 * Throws if one value alone is larger than the budget (callers validate sizes first).
 */
export function chunkByBytes<T>(
  values: readonly T[],
  bytesOf: (value: T) => number,
  maxBytes: number,
): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let chunkBytes = 2;
  for (const value of values) {
    const bytes = bytesOf(value) + 1;
    if (bytes + 2 > maxBytes)
      throw new RangeError(
        `${JSON.stringify(value).slice(0, 80)} is ${bytes} bytes, over the ${maxBytes}-byte chunk`,
      );
    if (chunkBytes + bytes > maxBytes && chunk.length > 0) {
      chunks.push(chunk);
      chunk = [];
      chunkBytes = 2;
    }
    chunk.push(value);
    chunkBytes += bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Items in chunks small enough for one `ItemsAdded` event each. */
export const chunkItems = (items: readonly ItemSpec[], maxBytes = ITEMS_CHUNK_MAX_BYTES): ItemSpec[][] =>
  chunkByBytes(items, itemBytes, maxBytes);

/** Item ids in chunks small enough for one event each (requeues of very large batches). */
export const chunkItemIds = (ids: readonly string[], maxBytes = ITEMS_CHUNK_MAX_BYTES): string[][] =>
  chunkByBytes(ids, (id) => utf8Bytes(id) + 2, maxBytes);

/** Items of one request: unique ids, each within MAX_ITEM_BYTES. */
export const ItemList = z.array(ItemSpec).superRefine((items, ctx) => {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.id))
      ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate item id ${item.id}` });
    seen.add(item.id);
    if (itemBytes(item) > MAX_ITEM_BYTES)
      ctx.addIssue({ code: 'custom', path: [index], message: `item is over ${MAX_ITEM_BYTES} bytes` });
  });
});
