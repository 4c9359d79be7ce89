import { itemBytes, MAX_ITEMS_PER_REQUEST, type ItemSpec } from '@batch/contracts';

/** Request bodies stay under this, well below the gateway's limit and kind to proxies. */
export const MAX_REQUEST_BODY_BYTES = 8 * 1024 * 1024;

export interface ChunkLimits {
  /** Most items in one chunk. */
  maxItems: number;
  /** Most bytes of one chunk's items as a JSON array. */
  maxBytes: number;
}

export const DEFAULT_CHUNK_LIMITS: ChunkLimits = {
  maxItems: MAX_ITEMS_PER_REQUEST,
  maxBytes: MAX_REQUEST_BODY_BYTES,
};

/**
 * Groups items, as they arrive, into chunks bounded by count and by JSON size: only one chunk is
 * held at a time, so an item source of any length uploads in bounded memory. An item larger than
 * the whole budget goes alone, and the server refuses it with its own message.
 */
export async function* chunksOf(
  items: AsyncIterable<ItemSpec> | Iterable<ItemSpec>,
  limits: ChunkLimits = DEFAULT_CHUNK_LIMITS,
): AsyncGenerator<ItemSpec[]> {
  let chunk: ItemSpec[] = [];
  // "[" and "]", less the comma the first item does not need; each item then adds itself and a comma.
  const emptyChunkBytes = 1;
  let chunkBytes = emptyChunkBytes;
  for await (const item of items) {
    const bytes = itemBytes(item) + 1;
    if (chunk.length > 0 && (chunk.length >= limits.maxItems || chunkBytes + bytes > limits.maxBytes)) {
      yield chunk;
      chunk = [];
      chunkBytes = emptyChunkBytes;
    }
    chunk.push(item);
    chunkBytes += bytes;
  }
  if (chunk.length > 0) yield chunk;
}
