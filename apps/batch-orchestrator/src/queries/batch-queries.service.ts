import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DomainError, exists } from '@batch/batch-domain';
import type { OrchestratorQuery } from '@batch/contracts';
import { getBatchView, incompleteBatchViews, listBatchViews, listItems } from '@batch/persistence';
import { DATA_SOURCE } from '@batch/platform';
import { viewOf } from '../commands/batch-view.js';
import { AGGREGATES, type BatchAggregates } from '../infrastructure/stores.js';
import { ProjectorService } from '../projections/projector.service.js';

/** Reads wait this long at most for the projections to hold every event stored before the read. */
const READ_YOUR_WRITES_MS = 2_000;

/** Reads answer from the Postgres projections; a batch the projection has not reached yet from its log. */
@Injectable()
export class BatchQueriesService {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(AGGREGATES) private readonly aggregates: BatchAggregates,
    private readonly projections: ProjectorService,
  ) {}

  async get({ userId, batchId }: OrchestratorQuery<'get'>) {
    await this.projections.caughtUpWithLog(READ_YOUR_WRITES_MS);
    const projected = await getBatchView(this.ds, userId, batchId);
    if (projected) return projected;
    const { state } = await this.aggregates.load(batchId);
    if (!exists(state) || state.userId !== userId)
      throw new DomainError('not_found', `batch ${batchId} not found`);
    return viewOf(state, null);
  }

  async list(query: OrchestratorQuery<'list'>) {
    await this.projections.caughtUpWithLog(READ_YOUR_WRITES_MS);
    return listBatchViews(this.ds, query);
  }

  async incomplete({ userId }: OrchestratorQuery<'incomplete'>) {
    await this.projections.caughtUpWithLog(READ_YOUR_WRITES_MS);
    return incompleteBatchViews(this.ds, userId);
  }

  async items(query: OrchestratorQuery<'items'>) {
    await this.get(query);
    const page = await listItems(this.ds, query);
    if (!page) throw new DomainError('not_found', `batch ${query.batchId} not found`);
    return page;
  }
}
