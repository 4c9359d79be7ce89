import type {
  BatchList,
  BatchStats,
  BatchStatus,
  BatchView,
  CleanupResult,
  CreateBatchBody,
  ItemPage,
  ItemSpec,
  ItemStatus,
  ItemView,
  RecoverResult,
  ResultLine,
  ResultsQuery,
  ResumeBody,
} from '@batch/contracts';
import { httpSender, segment, type ClientOptions } from './http.js';
import { uploadLargeBatch, type LargeBatchOptions } from './large-batch.js';

export interface ListBatchesOptions {
  status?: BatchStatus;
  cursor?: string;
  limit?: number;
}

export interface ListItemsOptions {
  status?: ItemStatus;
  cursor?: string;
  limit?: number;
}

/** The notification gateway's REST API (ARCHITECTURE.md "Public REST API"), typed. */
export interface BatchClient {
  createBatch(body: CreateBatchBody): Promise<BatchView>;
  /** Adds items to a batch created with `autoStart: false`, before it starts. */
  addItems(batchId: string, items: ItemSpec[]): Promise<BatchView>;
  startBatch(batchId: string): Promise<BatchView>;
  pauseBatch(batchId: string): Promise<BatchView>;
  resumeBatch(batchId: string, body?: ResumeBody): Promise<BatchView>;
  cancelBatch(batchId: string): Promise<BatchView>;
  retryFailed(batchId: string): Promise<BatchView>;
  discardBatch(batchId: string): Promise<void>;
  getBatch(batchId: string): Promise<BatchView>;
  listBatches(options?: ListBatchesOptions): Promise<BatchList>;
  incompleteBatches(): Promise<BatchList>;
  /** Every batch (of a status), page after page. */
  allBatches(options?: Omit<ListBatchesOptions, 'cursor'>): AsyncGenerator<BatchView>;
  listItems(batchId: string, options?: ListItemsOptions): Promise<ItemPage>;
  /** Every item of the batch, page after page. */
  allItems(batchId: string, options?: Omit<ListItemsOptions, 'cursor'>): AsyncGenerator<ItemView>;
  /** The completed items' conversations, parsed as the JSONL streams in (also while running). */
  results(batchId: string): AsyncGenerator<ResultLine>;
  /** The results as a file of the format (JSON Lines or Parquet), its bytes as they stream in. */
  exportResults(batchId: string, options?: ExportOptions): AsyncGenerator<Uint8Array>;
  /** Dataset statistics of the batch: turns, characters, tokens, personas, duplicates, failures. */
  stats(batchId: string): Promise<BatchStats>;
  recover(): Promise<RecoverResult>;
  cleanup(daysOld: number): Promise<CleanupResult>;
  /** A batch of any number of items, uploaded in chunks; see `uploadLargeBatch`. */
  createLargeBatch(options: LargeBatchOptions): Promise<BatchView>;
}

export interface ExportOptions {
  format?: ResultsQuery['format'];
  only?: ResultsQuery['only'];
  includeMetadata?: boolean;
}

const BATCHES = '/api/v1/batches';

export function createClient(options: ClientOptions): BatchClient {
  const send = httpSender(options);
  const post = async <T>(path: string, body?: unknown) =>
    (await send(path, { method: 'POST', body })).json<T>();
  const get = async <T>(path: string, query?: ListBatchesOptions | ListItemsOptions) =>
    (await send(path, { query: { ...query } })).json<T>();
  const batch = (batchId: string, action = '') => `${BATCHES}/${segment(batchId)}${action}`;

  const client: BatchClient = {
    createBatch: (body) => post(BATCHES, body),
    addItems: (batchId, items) => post(batch(batchId, '/items'), { items }),
    startBatch: (batchId) => post(batch(batchId, '/start')),
    pauseBatch: (batchId) => post(batch(batchId, '/pause')),
    resumeBatch: (batchId, body = {}) => post(batch(batchId, '/resume'), body),
    cancelBatch: (batchId) => post(batch(batchId, '/cancel')),
    retryFailed: (batchId) => post(batch(batchId, '/retry-failed')),
    discardBatch: async (batchId) => {
      await send(batch(batchId), { method: 'DELETE' });
    },
    getBatch: (batchId) => get(batch(batchId)),
    listBatches: (query) => get(BATCHES, query),
    incompleteBatches: () => get(`${BATCHES}/incomplete`),
    listItems: (batchId, query) => get(batch(batchId, '/items'), query),
    allBatches: (query) =>
      everyPage(
        (cursor) => client.listBatches({ ...query, cursor }),
        (page) => page.batches,
      ),
    allItems: (batchId, query) =>
      everyPage(
        (cursor) => client.listItems(batchId, { ...query, cursor }),
        (page) => page.items,
      ),
    results: async function* (batchId) {
      const answer = await send(batch(batchId, '/results'));
      for await (const line of answer.jsonLines()) yield line as ResultLine;
    },
    exportResults: async function* (batchId, { format, only, includeMetadata } = {}) {
      const answer = await send(batch(batchId, '/results'), {
        query: {
          format,
          only,
          include_metadata: includeMetadata === undefined ? undefined : String(includeMetadata),
        },
      });
      yield* answer.bytes();
    },
    stats: (batchId) => get(batch(batchId, '/stats')),
    recover: () => post(`${BATCHES}/recover`),
    cleanup: (daysOld) => post(`${BATCHES}/cleanup`, { days_old: daysOld }),
    createLargeBatch: (largeBatch) => uploadLargeBatch(client, largeBatch),
  };
  return client;
}

async function* everyPage<P extends { next_cursor: string | null }, T>(
  load: (cursor: string | undefined) => Promise<P>,
  entriesOf: (page: P) => T[],
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await load(cursor);
    yield* entriesOf(page);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}
