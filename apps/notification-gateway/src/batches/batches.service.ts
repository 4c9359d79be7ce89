import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import type { BatchList, BatchView, ConfigOverrides, ItemPage, RecoverResult } from '@batch/contracts';
import { withEncodedItems } from '@batch/messaging';
import { batchViewJson, listBatchesJson } from '@batch/persistence';
import { DATA_SOURCE } from '@batch/platform';
import { ItemBodiesService } from '../item-bodies/item-bodies.service.js';
import { createFields, type EncodedItems, type NewBatchFields } from '../item-bodies/parse-item-body.js';
import { OrchestratorClient } from '../orchestrator/orchestrator.client.js';
import { ReadYourWrites } from './read-your-writes.js';

const encoder = new TextEncoder();
const NO_ITEMS = encoder.encode('[]');

const newBatchId = (): string => `batch_${ulid().toLowerCase()}`;

type ListQuery = { status?: BatchView['status']; cursor?: string; limit?: number };

/**
 * The batch use cases of the REST API (native and seed routes): commands are requests to the
 * orchestrator; a batch and the list of batches are read from the read model here, as JSON that
 * PostgreSQL builds, after the caller's own writes.
 */
@Injectable()
export class BatchesService {
  constructor(
    private readonly orchestrator: OrchestratorClient,
    private readonly itemBodies: ItemBodiesService,
    private readonly reads: ReadYourWrites,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
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

  /** The batch's JSON, as `GET /api/v1/batches/:id` answers it. */
  async getJson(userId: string, batchId: string): Promise<string> {
    return (await this.projectedJson(userId, batchId)) ?? JSON.stringify(await this.fromLog(userId, batchId));
  }

  async get(userId: string, batchId: string): Promise<BatchView> {
    const json = await this.projectedJson(userId, batchId);
    return json === null ? this.fromLog(userId, batchId) : (JSON.parse(json) as BatchView);
  }

  private async projectedJson(userId: string, batchId: string): Promise<string | null> {
    return (await this.reads.read(() => batchViewJson(this.ds, userId, batchId))).json;
  }

  /**
   * A batch the read model does not hold (another user's, or one it has not reached within the
   * wait) is the orchestrator's to answer from its log: a view, or not_found.
   */
  private fromLog(userId: string, batchId: string): Promise<BatchView> {
    return this.orchestrator.query<BatchView>('get', { userId, batchId });
  }

  /** A page of the user's batches as JSON, as `GET /api/v1/batches` answers it. */
  async listJson(userId: string, query: ListQuery): Promise<string> {
    return (await this.reads.read(() => listBatchesJson(this.ds, { userId, ...query }))).json;
  }

  async list(userId: string, query: ListQuery): Promise<BatchList> {
    return JSON.parse(await this.listJson(userId, query)) as BatchList;
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
