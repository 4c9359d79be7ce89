import { Inject, Injectable } from '@nestjs/common';
import { DomainError, exists } from '@batch/batch-domain';
import type { OrchestratorQuery } from '@batch/contracts';
import { getBatchView, incompleteBatchViews, listBatchViews, listItems } from '@batch/persistence';
import { viewOf } from '../commands/batch-view.js';
import { RUNTIME, type OrchestratorRuntime } from '../infrastructure/runtime.js';
import { ProjectorService } from '../projections/projector.service.js';

/** Reads wait this long at most for the projections to hold every event stored before the read. */
const READ_YOUR_WRITES_MS = 2_000;

/** Reads answer from the Postgres projections; a batch the projection has not reached yet from its log. */
@Injectable()
export class BatchQueriesService {
  constructor(
    @Inject(RUNTIME) private readonly runtime: OrchestratorRuntime,
    private readonly projections: ProjectorService,
  ) {}

  async get({ userId, batchId }: OrchestratorQuery<'get'>) {
    await this.projections.caughtUpWithLog(READ_YOUR_WRITES_MS);
    const projected = await getBatchView(this.runtime.ds, userId, batchId);
    if (projected) return projected;
    const { state } = await this.runtime.aggregates.load(batchId);
    if (!exists(state) || state.userId !== userId)
      throw new DomainError('not_found', `batch ${batchId} not found`);
    return viewOf(state, null);
  }

  async list(query: OrchestratorQuery<'list'>) {
    await this.projections.caughtUpWithLog(READ_YOUR_WRITES_MS);
    return listBatchViews(this.runtime.ds, query);
  }

  async incomplete({ userId }: OrchestratorQuery<'incomplete'>) {
    await this.projections.caughtUpWithLog(READ_YOUR_WRITES_MS);
    return incompleteBatchViews(this.runtime.ds, userId);
  }

  async items(query: OrchestratorQuery<'items'>) {
    await this.get(query);
    const page = await listItems(this.runtime.ds, query);
    if (!page) throw new DomainError('not_found', `batch ${query.batchId} not found`);
    return page;
  }
}
