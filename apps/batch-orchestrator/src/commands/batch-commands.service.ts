import { Inject, Injectable } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import type { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import { DomainError, exists, type BatchCommand } from '@batch/batch-domain';
import { METERED_PROVIDERS, priceOf, type BatchConfig, type OrchestratorCommand } from '@batch/contracts';
import { deleteBatchRows, endedBatchIds } from '@batch/persistence';
import { commandMetadata, DATA_SOURCE, LOGGER, SETTINGS, type Logger } from '@batch/platform';
import type { OrchestratorConfig } from '../config/orchestrator.config.js';
import { DispatcherService } from '../dispatch/dispatcher.service.js';
import { AGGREGATES, type BatchAggregates } from '../infrastructure/stores.js';
import { ProjectorService } from '../projections/projector.service.js';
import { viewOf, type BatchView } from './batch-view.js';

type Owned = { userId: string; batchId: string };
const DAY_MS = 24 * 60 * 60 * 1000;
/** Recover and cleanup read the read model: they wait this long at most for it to hold every event. */
const COMMAND_CATCH_UP_MS = 10_000;

/** Every command: build the domain command, let the one handler decide and append, answer the view. */
@Injectable()
export class BatchCommandsService {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(AGGREGATES) private readonly aggregates: BatchAggregates,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SETTINGS) private readonly settings: OrchestratorConfig,
    private readonly dispatcher: DispatcherService,
    private readonly projections: ProjectorService,
  ) {}

  /** A batch may name only a key variable the operator allows; its value is never seen here. */
  private checkCredential(credential: string | undefined): void {
    if (credential !== undefined && !this.settings.PROVIDER_CREDENTIALS.has(credential))
      throw new DomainError(
        'validation',
        `config.credential: ${credential} is not one of the credentials the operator allows (PROVIDER_CREDENTIALS)`,
      );
  }

  /**
   * A budget counts the spend of priced calls: a batch with one must call a model with a price.
   * Only providers that report tokens are priced (the template provider costs nothing).
   */
  private checkPriced(config: Partial<BatchConfig>): void {
    if (config.maxCostUsd === undefined || config.provider === undefined) return;
    const metered = METERED_PROVIDERS[config.provider];
    if (!metered) return;
    const model = config.model ?? metered.defaultModel;
    if (!priceOf(this.settings.MODEL_PRICES_FILE, model))
      throw new DomainError(
        'validation',
        `config.maxCostUsd: the model ${model} has no price, so its spend cannot be counted (add it to the operator's MODEL_PRICES_FILE)`,
      );
  }

  private async decide(batchId: string, command: BatchCommand): Promise<BatchView> {
    const { aggregates } = this;
    const handled = await aggregates.handle(batchId, command);
    this.logger.debug({ batchId, command: command.type, events: handled.events.length }, 'decided');
    const { state } = await aggregates.load(batchId);
    this.dispatcher.wake(batchId, context.active());
    if (!exists(state)) throw new DomainError('not_found', `batch ${batchId} not found`);
    return viewOf(state, handled.events.at(-1)?.occurredAt ?? null);
  }

  create(request: OrchestratorCommand<'create'>): Promise<BatchView> {
    this.checkCredential(request.config?.credential);
    this.checkPriced(request.config);
    const batchId = request.batchId ?? `batch_${ulid().toLowerCase()}`;
    return this.decide(batchId, {
      type: 'CreateBatch',
      data: {
        batchId,
        userId: request.userId,
        name: request.name,
        config: request.config,
        items: request.items,
        autoStart: request.autoStart,
        ...(request.totalItems === undefined ? {} : { totalItems: request.totalItems }),
      },
      metadata: commandMetadata(request.userId),
    });
  }

  addItems({ userId, batchId, items }: OrchestratorCommand<'add-items'>): Promise<BatchView> {
    return this.decide(batchId, { type: 'AddItems', data: { items }, metadata: commandMetadata(userId) });
  }

  start({ userId, batchId }: Owned): Promise<BatchView> {
    return this.decide(batchId, { type: 'StartBatch', data: {}, metadata: commandMetadata(userId) });
  }

  pause({ userId, batchId, reason }: OrchestratorCommand<'pause'>): Promise<BatchView> {
    return this.decide(batchId, { type: 'PauseBatch', data: { reason }, metadata: commandMetadata(userId) });
  }

  async resume({ userId, batchId, configOverrides }: OrchestratorCommand<'resume'>): Promise<BatchView> {
    this.checkCredential(configOverrides?.credential);
    if (configOverrides) {
      const { state } = await this.aggregates.load(batchId);
      if (exists(state) && state.userId === userId) this.checkPriced({ ...state.config, ...configOverrides });
    }
    const data = configOverrides ? { configOverrides } : {};
    return this.decide(batchId, { type: 'ResumeBatch', data, metadata: commandMetadata(userId) });
  }

  cancel({ userId, batchId }: Owned): Promise<BatchView> {
    return this.decide(batchId, { type: 'CancelBatch', data: {}, metadata: commandMetadata(userId) });
  }

  retryFailed({ userId, batchId }: Owned): Promise<BatchView> {
    return this.decide(batchId, { type: 'RetryFailedItems', data: {}, metadata: commandMetadata(userId) });
  }

  async discard({ userId, batchId }: Owned): Promise<{ batch_id: string; discarded: true }> {
    const { aggregates } = this;
    await aggregates.handle(batchId, { type: 'DiscardBatch', data: {}, metadata: commandMetadata(userId) });
    await aggregates.forget(batchId);
    return { batch_id: batchId, discarded: true };
  }

  /** Finds running batches whose dispatch stopped (a crash, a restart) and dispatches them again. */
  async recover({
    userId,
  }: OrchestratorCommand<'recover'>): Promise<{ recovered_count: number; failed_count: number }> {
    await this.projections.caughtUpWithLog(COMMAND_CATCH_UP_MS);
    return this.dispatcher.recover(userId);
  }

  /** Removes events, snapshots and rows of batches that ended more than `daysOld` days ago. */
  async cleanup({ userId, daysOld }: OrchestratorCommand<'cleanup'>): Promise<{ cleaned_count: number }> {
    const { ds, aggregates } = this;
    // The read model decides what ended when: it must hold every event stored so far.
    await this.projections.caughtUpWithLog(COMMAND_CATCH_UP_MS);
    const batchIds = await endedBatchIds(ds, { olderThan: new Date(Date.now() - daysOld * DAY_MS), userId });
    for (const batchId of batchIds) await aggregates.remove(batchId);
    await deleteBatchRows(ds, batchIds);
    return { cleaned_count: batchIds.length };
  }
}
