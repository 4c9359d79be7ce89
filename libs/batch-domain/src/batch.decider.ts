import {
  chunkItemIds,
  chunkItems,
  jsonBytes,
  MAX_CONFIG_BYTES,
  missingVariableMessage,
  templateChecker,
  type BatchConfig,
  type BatchEvent,
  type ItemSpec,
} from '@batch/contracts';
import type { BatchCommand, CommandMetadata } from './batch.commands.js';
import { batchEvent } from './batch.events.js';
import { budgetExhaustedReason, spentBudget } from './batch.queries.js';
import { exists, type Batch, type BatchLifecycle, type BatchState } from './batch.state.js';
import { DomainError } from './domain-error.js';
import { idsWithStatus, indexOf } from './item-table.js';

const event = batchEvent;

function refuseUnless(batch: Batch, allowed: readonly BatchLifecycle[], action: string): void {
  if (!allowed.includes(batch.status))
    throw new DomainError('invalid_state', `cannot ${action} a ${batch.status} batch`);
}

/** The batch a user may act on: absent, discarded and other users' batches do not exist for them. */
function existingBatch(state: BatchState, metadata: CommandMetadata): Batch {
  if (!exists(state) || (metadata.requestedBy !== undefined && state.userId !== metadata.requestedBy))
    throw new DomainError('not_found', 'batch not found');
  return state;
}

/** Every item must have a value for each variable the config's templates use outside sections. */
function refuseMissingVariables(config: BatchConfig | undefined, items: readonly ItemSpec[]): void {
  const missingIn = templateChecker(config);
  for (const item of items) {
    const missing = missingIn(item);
    if (missing) throw new DomainError('validation', missingVariableMessage(item.id, missing));
  }
}

/** Decides what happens when a command meets a batch: the events to append, or a DomainError. */
export function decide(command: BatchCommand, state: BatchState): BatchEvent[] {
  const { metadata } = command;
  if (command.type === 'CreateBatch') {
    if (state.status !== 'empty')
      throw new DomainError('already_exists', `batch ${command.data.batchId} already exists`);
    const { batchId, userId, name, config, items, autoStart } = command.data;
    const totalItems = command.data.totalItems ?? items.length;
    if (totalItems < items.length)
      throw new DomainError(
        'validation',
        `totalItems (${totalItems}) is less than the ${items.length} items given`,
      );
    refuseMissingVariables(config, items);
    const events: BatchEvent[] = [
      event('BatchCreated', batchId, { batchId, userId, name, config, totalItems }, metadata),
      ...chunkItems(items).map((chunk) => event('ItemsAdded', batchId, { items: chunk }, metadata)),
    ];
    if (autoStart && items.length === totalItems && totalItems > 0)
      events.push(event('BatchStarted', batchId, {}, metadata));
    return events;
  }

  const batch = existingBatch(state, metadata);
  const { batchId, items } = batch;
  switch (command.type) {
    case 'AddItems': {
      refuseUnless(batch, ['pending'], 'add items to');
      const known = command.data.items.find((item) => indexOf(items, item.id) !== undefined);
      if (known) throw new DomainError('validation', `item ${known.id} is already in batch ${batchId}`);
      refuseMissingVariables(batch.config, command.data.items);
      return chunkItems(command.data.items).map((chunk) =>
        event('ItemsAdded', batchId, { items: chunk }, metadata),
      );
    }
    case 'StartBatch':
      refuseUnless(batch, ['pending'], 'start');
      if (items.size === 0) throw new DomainError('validation', `batch ${batchId} has no items`);
      if (items.size < batch.declaredItems)
        throw new DomainError(
          'invalid_state',
          `batch ${batchId} has ${items.size} of its ${batch.declaredItems} items`,
        );
      return [event('BatchStarted', batchId, {}, metadata)];
    case 'PauseBatch':
      refuseUnless(batch, ['running'], 'pause');
      return [event('BatchPaused', batchId, { reason: command.data.reason }, metadata)];
    case 'ResumeBatch': {
      refuseUnless(batch, ['paused'], 'resume');
      const { configOverrides } = command.data;
      if (configOverrides && jsonBytes({ ...batch.config, ...configOverrides }) > MAX_CONFIG_BYTES)
        throw new DomainError(
          'validation',
          `the config with these overrides is over ${MAX_CONFIG_BYTES} bytes as JSON`,
        );
      // Resuming at a spent budget would pause again at once: the user must raise it.
      const spent = spentBudget(batch, { ...batch.config, ...configOverrides });
      if (spent)
        throw new DomainError(
          'validation',
          `${budgetExhaustedReason(spent)}; resume with a higher configOverrides.maxCostUsd`,
        );
      return [event('BatchResumed', batchId, configOverrides ? { configOverrides } : {}, metadata)];
    }
    case 'CancelBatch':
      refuseUnless(batch, ['pending', 'running', 'paused'], 'cancel');
      return [event('BatchCancelled', batchId, {}, metadata)];
    case 'RetryFailedItems': {
      refuseUnless(batch, ['running', 'paused', 'completed', 'failed'], 'retry the failed items of');
      if (items.failed === 0) throw new DomainError('nothing_failed', `batch ${batchId} has no failed items`);
      return chunkItemIds([...idsWithStatus(items, 'failed')]).map((itemIds) =>
        event('FailedItemsRequeued', batchId, { itemIds }, metadata),
      );
    }
    case 'CompleteBatch':
      refuseUnless(batch, ['running'], 'complete');
      if (items.pending > 0)
        throw new DomainError('invalid_state', `batch ${batchId} has ${items.pending} pending items`);
      return items.completed === 0 && items.failed > 0
        ? [event('BatchFailed', batchId, { reason: `all ${items.failed} items failed` }, metadata)]
        : [event('BatchCompleted', batchId, {}, metadata)];
    case 'EnforceBudget': {
      refuseUnless(batch, ['running'], 'pause');
      const spent = spentBudget(batch);
      if (!spent) throw new DomainError('invalid_state', `batch ${batchId} is within its budget`);
      return [event('BatchPaused', batchId, { reason: budgetExhaustedReason(spent) }, metadata)];
    }
    case 'DiscardBatch':
      refuseUnless(batch, ['pending', 'paused', 'completed', 'failed', 'cancelled'], 'discard');
      return [event('BatchDiscarded', batchId, {}, metadata)];
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${(unhandled as BatchCommand).type}`);
    }
  }
}
