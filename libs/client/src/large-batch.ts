import {
  jsonBytes,
  type BatchConfig,
  type BatchView,
  type CreateBatchBody,
  type ItemSpec,
} from '@batch/contracts';
import { chunksOf, DEFAULT_CHUNK_LIMITS, type ChunkLimits } from './upload-chunks.js';

export interface LargeBatchOptions {
  name?: string;
  config?: BatchConfig;
  /** Any number of items; read once, one chunk at a time. */
  items: AsyncIterable<ItemSpec> | Iterable<ItemSpec>;
  autoStart: boolean;
  /** Called after each request with the number of items uploaded so far. */
  onProgress?: (uploaded: number) => void;
  /** Tighter bounds per request than the defaults (MAX_ITEMS_PER_REQUEST, 8 MiB). */
  limits?: Partial<ChunkLimits>;
}

/** The calls an upload needs. */
export interface BatchUploader {
  createBatch(body: CreateBatchBody): Promise<BatchView>;
  addItems(batchId: string, items: ItemSpec[]): Promise<BatchView>;
  startBatch(batchId: string): Promise<BatchView>;
  discardBatch(batchId: string): Promise<void>;
}

/**
 * Creates a batch of any size: the first chunk creates it unstarted, the others are added, then it
 * starts (if asked). It returns the batch or leaves nothing behind: if anything fails once the
 * batch exists (an item source that throws on a bad line, a refused chunk, the start), the batch is
 * discarded, so a half-uploaded one never lingers or runs, and the original error is thrown.
 */
export async function uploadLargeBatch(
  client: BatchUploader,
  options: LargeBatchOptions,
): Promise<BatchView> {
  const { name, config, items, autoStart, onProgress } = options;
  const limits = { ...DEFAULT_CHUNK_LIMITS, ...options.limits };
  // Every chunk is budgeted for the create body, the largest envelope around the items.
  const envelopeBytes = jsonBytes({ name, config, items: [], autoStart: false });
  const chunks = chunksOf(items, { ...limits, maxBytes: limits.maxBytes - envelopeBytes });
  try {
    const first = await chunks.next();
    let batch = await client.createBatch({
      name,
      config,
      items: first.done ? [] : first.value,
      autoStart: false,
    });
    let uploaded = first.done ? 0 : first.value.length;
    onProgress?.(uploaded);
    try {
      for await (const chunk of chunks) {
        batch = await client.addItems(batch.batch_id, chunk);
        uploaded += chunk.length;
        onProgress?.(uploaded);
      }
      return autoStart ? await client.startBatch(batch.batch_id) : batch;
    } catch (error) {
      await client.discardBatch(batch.batch_id).catch(() => undefined);
      throw error;
    }
  } finally {
    // Stops the item source (and closes its file) when the upload ends early.
    await chunks.return(undefined);
  }
}
