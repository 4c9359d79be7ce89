import { Inject, Injectable } from '@nestjs/common';
import { DomainError, exists } from '@batch/batch-domain';
import type { OrchestratorQuery } from '@batch/contracts';
import { getBatchView, incompleteBatchViews, listBatchViews, listItems } from '@batch/persistence';
import { viewOf } from '../commands/batch-view.js';
import { RUNTIME, type OrchestratorRuntime } from '../infrastructure/runtime.js';

/** Reads answer from the Postgres projections; a batch the projection has not reached yet from its log. */
@Injectable()
export class BatchQueriesService {
  constructor(@Inject(RUNTIME) private readonly runtime: OrchestratorRuntime) {}

  async get({ userId, batchId }: OrchestratorQuery<'get'>) {
    const projected = await getBatchView(this.runtime.ds, userId, batchId);
    if (projected) return projected;
    const { state } = await this.runtime.aggregates.load(batchId);
    if (!exists(state) || state.userId !== userId)
      throw new DomainError('not_found', `batch ${batchId} not found`);
    return viewOf(state, null);
  }

  list(query: OrchestratorQuery<'list'>) {
    return listBatchViews(this.runtime.ds, query);
  }

  incomplete({ userId }: OrchestratorQuery<'incomplete'>) {
    return incompleteBatchViews(this.runtime.ds, userId);
  }

  async items(query: OrchestratorQuery<'items'>) {
    await this.get(query);
    return listItems(this.runtime.ds, query);
  }
}
