import { Inject, Injectable } from '@nestjs/common';
import { ulid } from 'ulid';
import {
  chunkItems,
  jsonBytes,
  type BatchConfig,
  type BatchList,
  type BatchView,
  type ConfigOverrides,
  type ItemPage,
  type ItemSpec,
  type Page,
  type RecoverResult,
} from '@batch/contracts';
import { ApiError } from '../http/api-error.js';
import { RUNTIME, type GatewayRuntime } from '../infrastructure/gateway-runtime.js';
import { OrchestratorClient } from '../orchestrator/orchestrator.client.js';

/** Room in one NATS message for its headers and the JSON around the request's fields. */
const HEADROOM_BYTES = 4 * 1024;

export interface NewBatch {
  name?: string;
  items: ItemSpec[];
  config?: BatchConfig;
  autoStart: boolean;
}

/** The batch use cases of the REST API (native and seed routes), each a request to the orchestrator. */
@Injectable()
export class BatchesService {
  constructor(
    @Inject(RUNTIME) private readonly runtime: GatewayRuntime,
    private readonly orchestrator: OrchestratorClient,
  ) {}

  /**
   * Items in chunks that each fit in one NATS request, beside the request's other fields (a config
   * of up to 64 KiB), whatever the server's max payload.
   */
  private chunks(items: ItemSpec[], otherFields: Record<string, unknown>): ItemSpec[][] {
    const maxPayload = this.runtime.nc.info?.max_payload ?? 1024 * 1024;
    return chunkItems(items, maxPayload - jsonBytes(otherFields) - HEADROOM_BYTES);
  }

  /**
   * Creates a batch. A request's items that do not fit one message go in `add-items` chunks: the batch
   * is created declaring them all, so it cannot start before the last chunk has arrived.
   */
  async create(userId: string, { name, items, config, autoStart }: NewBatch): Promise<BatchView> {
    if (autoStart && items.length === 0)
      throw new ApiError('validation', 'a batch that starts at once needs items', [
        { field: 'items', message: 'give at least one item, or autoStart: false and add items later' },
      ]);
    const batchId = `batch_${ulid().toLowerCase()}`;
    const fields = {
      userId,
      batchId,
      ...(name === undefined ? {} : { name }),
      totalItems: items.length,
      ...(config === undefined ? {} : { config }),
      autoStart,
    };
    const [first = [], ...rest] = this.chunks(items, fields);
    let view = await this.orchestrator.command<BatchView>('create', {
      ...fields,
      items: first,
      autoStart: autoStart && rest.length === 0,
    });
    for (const chunk of rest)
      view = await this.orchestrator.command<BatchView>('add-items', { userId, batchId, items: chunk });
    if (autoStart && rest.length > 0) view = await this.command('start', userId, batchId);
    return view;
  }

  /** Adds items (at least one) to a pending batch, in as many requests as they need. */
  async addItems(userId: string, batchId: string, items: ItemSpec[]): Promise<BatchView> {
    let view: BatchView | undefined;
    for (const chunk of this.chunks(items, { userId, batchId }))
      view = await this.orchestrator.command<BatchView>('add-items', { userId, batchId, items: chunk });
    if (!view) throw new ApiError('validation', 'no items to add', [{ field: 'items', message: 'empty' }]);
    return view;
  }

  command(
    name: 'start' | 'pause' | 'cancel' | 'retry-failed',
    userId: string,
    batchId: string,
  ): Promise<BatchView> {
    return this.orchestrator.command<BatchView>(name, { userId, batchId });
  }

  resume(userId: string, batchId: string, configOverrides?: ConfigOverrides): Promise<BatchView> {
    return this.orchestrator.command<BatchView>('resume', {
      userId,
      batchId,
      ...(configOverrides ? { configOverrides } : {}),
    });
  }

  async discard(userId: string, batchId: string): Promise<void> {
    await this.orchestrator.command('discard', { userId, batchId });
  }

  get(userId: string, batchId: string): Promise<BatchView> {
    return this.orchestrator.query<BatchView>('get', { userId, batchId });
  }

  async list(
    userId: string,
    query: { status?: BatchView['status']; cursor?: string; limit?: number },
  ): Promise<BatchList> {
    const page = await this.orchestrator.query<Page<BatchView>>('list', {
      userId,
      ...query,
    });
    return { batches: page.items, next_cursor: page.next_cursor };
  }

  /** Every batch of the user, all pages (the seed's list has no paging). */
  async listAll(userId: string): Promise<BatchView[]> {
    const batches: BatchView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.list(userId, { limit: 1000, ...(cursor ? { cursor } : {}) });
      batches.push(...page.batches);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return batches;
  }

  async incomplete(userId: string): Promise<BatchList> {
    const batches = await this.orchestrator.query<BatchView[]>('incomplete', { userId });
    return { batches, next_cursor: null };
  }

  items(
    userId: string,
    batchId: string,
    query: { status?: 'pending' | 'completed' | 'failed'; cursor?: string; limit?: number },
  ): Promise<ItemPage> {
    return this.orchestrator.query<ItemPage>('items', { userId, batchId, ...query });
  }

  recover(userId: string): Promise<RecoverResult> {
    return this.orchestrator.command<RecoverResult>('recover', { userId });
  }

  cleanup(userId: string, daysOld: number): Promise<{ cleaned_count: number }> {
    return this.orchestrator.command<{ cleaned_count: number }>('cleanup', { userId, daysOld });
  }
}
