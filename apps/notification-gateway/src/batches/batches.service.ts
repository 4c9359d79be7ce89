import { Injectable } from '@nestjs/common';
import { ulid } from 'ulid';
import type { BatchList, BatchView, ConfigOverrides, ItemPage, Page, RecoverResult } from '@batch/contracts';
import { withEncodedItems } from '@batch/messaging';
import { ItemBodiesService } from '../item-bodies/item-bodies.service.js';
import { createFields, type EncodedItems, type NewBatchFields } from '../item-bodies/parse-item-body.js';
import { OrchestratorClient } from '../orchestrator/orchestrator.client.js';

const encoder = new TextEncoder();
const NO_ITEMS = encoder.encode('[]');

const newBatchId = (): string => `batch_${ulid().toLowerCase()}`;

/** The batch use cases of the REST API (native and seed routes), each a request to the orchestrator. */
@Injectable()
export class BatchesService {
  constructor(
    private readonly orchestrator: OrchestratorClient,
    private readonly itemBodies: ItemBodiesService,
  ) {}

  /** `POST /api/v1/batches`: its body is read (off the event loop when large), then the batch created. */
  async createFromBody(userId: string, body: unknown): Promise<BatchView> {
    const batchId = newBatchId();
    const parsed = await this.itemBodies.parse('create', body, { userId, batchId });
    return this.create(userId, batchId, parsed, parsed);
  }

  /** Seed 002's `POST /batch/start`: each id an item, started at once. */
  async startFromSeedBody(userId: string, body: unknown): Promise<{ view: BatchView; count: number }> {
    const batchId = newBatchId();
    const parsed = await this.itemBodies.parse('seed-start', body, { userId, batchId });
    const view = await this.create(userId, batchId, { config: parsed.config, autoStart: true }, parsed);
    return { view, count: parsed.count };
  }

  /**
   * Creates a batch. Items that do not fit one request go in `add-items` chunks: the batch is
   * created declaring them all, so it cannot start before the last chunk has arrived.
   */
  private async create(
    userId: string,
    batchId: string,
    batch: NewBatchFields,
    items: EncodedItems,
  ): Promise<BatchView> {
    const [first = NO_ITEMS, ...rest] = items.chunks;
    const fields = createFields(userId, batchId, batch, items.count);
    let view = await this.orchestrator.commandEncoded<BatchView>(
      'create',
      withEncodedItems({ ...fields, autoStart: batch.autoStart && rest.length === 0 }, first),
    );
    for (const chunk of rest)
      view = await this.orchestrator.commandEncoded<BatchView>(
        'add-items',
        withEncodedItems({ userId, batchId }, chunk),
      );
    if (batch.autoStart && rest.length > 0) view = await this.command('start', userId, batchId);
    return view;
  }

  /**
   * `POST /api/v1/batches/:id/items`: adds items (at least one) to a pending batch, in as many
   * requests as they need; the body is JSON, JSON Lines or CSV (by its content type).
   */
  async addItemsFromBody(
    userId: string,
    batchId: string,
    body: unknown,
    contentType?: string,
  ): Promise<BatchView> {
    const { chunks } = await this.itemBodies.parse('add-items', body, { userId, batchId }, contentType);
    let view: BatchView | undefined;
    for (const chunk of chunks)
      view = await this.orchestrator.commandEncoded<BatchView>(
        'add-items',
        withEncodedItems({ userId, batchId }, chunk),
      );
    return view!;
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
