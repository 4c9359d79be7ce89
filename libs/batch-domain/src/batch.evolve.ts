import type { BatchEvent } from '@batch/contracts';
import { addItems, requeueItems, settleItem } from './item-table.js';
import { newBatch, type Batch, type BatchState } from './batch.state.js';

/**
 * Folds one event into the state. Total: an event that does not apply (an outcome for an unknown
 * item, a duplicate, anything before creation) leaves the state as it is.
 */
export function evolve(state: BatchState, event: BatchEvent): BatchState {
  if (state.status === 'empty') {
    if (event.type !== 'BatchCreated') return state;
    const { batchId, userId, name, config, totalItems } = event.data;
    return newBatch({
      batchId,
      userId,
      name,
      config,
      declaredItems: totalItems,
      createdAt: event.occurredAt,
    });
  }
  return evolveBatch(state, event);
}

function evolveBatch(batch: Batch, event: BatchEvent): Batch {
  switch (event.type) {
    case 'BatchCreated':
      return batch;
    case 'ItemsAdded':
      addItems(batch.items, event.data.items);
      return batch;
    case 'ItemCompleted': {
      const { itemId, attempt, usage, costUsd } = event.data;
      if (settleItem(batch.items, itemId, attempt, 'completed')) {
        batch.usage.promptTokens += usage?.promptTokens ?? 0;
        batch.usage.completionTokens += usage?.completionTokens ?? 0;
        batch.usage.costUsd += costUsd ?? 0;
      }
      return batch;
    }
    case 'ItemFailed':
      settleItem(batch.items, event.data.itemId, event.data.attempt, 'failed');
      return batch;
    case 'BatchStarted':
      return { ...batch, status: 'running', startedAt: event.occurredAt };
    case 'BatchPaused':
      return { ...batch, status: 'paused', pausedAt: event.occurredAt, pauseReason: event.data.reason };
    case 'BatchResumed':
      return {
        ...batch,
        status: 'running',
        pausedAt: undefined,
        pauseReason: undefined,
        config: { ...batch.config, ...event.data.configOverrides },
      };
    case 'BatchCancelled':
      return { ...batch, status: 'cancelled', endedAt: event.occurredAt };
    case 'FailedItemsRequeued': {
      requeueItems(batch.items, event.data.itemIds);
      const reopened = batch.status === 'completed' || batch.status === 'failed';
      return reopened ? { ...batch, status: 'running', endedAt: undefined, failureReason: undefined } : batch;
    }
    case 'BatchCompleted':
      return { ...batch, status: 'completed', endedAt: event.occurredAt };
    case 'BatchFailed':
      return { ...batch, status: 'failed', endedAt: event.occurredAt, failureReason: event.data.reason };
    case 'BatchDiscarded':
      return { ...batch, status: 'discarded' };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${(unhandled as BatchEvent).type}`);
    }
  }
}

export const fold = (events: Iterable<BatchEvent>, from: BatchState): BatchState => {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
};
