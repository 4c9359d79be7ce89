import type { QueryRunner } from 'typeorm';
import type { BatchEvent } from '@batch/contracts';
import { lastEventTimes, planRuns } from './event-runs.js';
import { addItems, refreshItemStatistics, settleItems } from './item-events.statements.js';
import { applyLifecycle } from './lifecycle-events.statements.js';

/**
 * Applies events to `batches` and `batch_items` in stream order, a few set-based statements per run
 * of item events, inside the caller's transaction.
 */
export async function projectBatchEvents(runner: QueryRunner, events: readonly BatchEvent[]): Promise<void> {
  if (events.length === 0) return;
  for (const run of planRuns(events)) {
    if (run.kind === 'outcomes') await settleItems(runner, run.outcomes);
    else if (run.kind === 'items-added') await addItems(runner, run.items);
    else {
      await applyLifecycle(runner, run.event);
      if (run.event.type === 'BatchStarted' || run.event.type === 'FailedItemsRequeued')
        await refreshItemStatistics(runner, run.event.batchId);
    }
  }
  const times = lastEventTimes(events);
  await runner.query(
    `UPDATE batches b SET last_checkpoint_at = t.at
     FROM unnest($1::text[], $2::timestamptz[]) AS t(batch_id, at)
     WHERE b.batch_id = t.batch_id`,
    [[...times.keys()], [...times.values()]],
  );
}
