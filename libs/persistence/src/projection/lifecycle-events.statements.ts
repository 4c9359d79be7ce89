import type { QueryRunner } from 'typeorm';
import type { LifecycleEvent } from './event-runs.js';

/** One statement per lifecycle event: they are few (one per command), unlike item events. */
export async function applyLifecycle(runner: QueryRunner, event: LifecycleEvent): Promise<void> {
  const { batchId, occurredAt } = event;
  switch (event.type) {
    case 'BatchCreated': {
      const { userId, name, config, totalItems } = event.data;
      // created_at at millisecond precision: list cursors carry it through a JS Date.
      await runner.query(
        `INSERT INTO batches (batch_id, user_id, name, status, declared_items, items_added, total_items,
                              processed_count, failed_count, pending_count, config, created_at, last_checkpoint_at)
         VALUES ($1, $2, $3, 'pending', $4, 0, $4, 0, 0, $4, $5::jsonb, date_trunc('milliseconds', $6::timestamptz), $6)
         ON CONFLICT (batch_id) DO NOTHING`,
        [batchId, userId, name, totalItems, JSON.stringify(config), occurredAt],
      );
      return;
    }
    case 'BatchStarted':
      await runner.query(`UPDATE batches SET status = 'running', started_at = $2 WHERE batch_id = $1`, [
        batchId,
        occurredAt,
      ]);
      return;
    case 'BatchPaused':
      await runner.query(
        `UPDATE batches SET status = 'paused', paused_at = $2, pause_reason = $3 WHERE batch_id = $1`,
        [batchId, occurredAt, event.data.reason],
      );
      return;
    case 'BatchResumed':
      await runner.query(
        `UPDATE batches SET status = 'running', paused_at = NULL, pause_reason = NULL, config = config || $2::jsonb
          WHERE batch_id = $1`,
        [batchId, JSON.stringify(event.data.configOverrides ?? {})],
      );
      return;
    case 'BatchCancelled':
      await runner.query(`UPDATE batches SET status = 'cancelled', ended_at = $2 WHERE batch_id = $1`, [
        batchId,
        occurredAt,
      ]);
      return;
    case 'FailedItemsRequeued':
      // The item rule (rule 3, at `ItemOutcome` in @batch/contracts): failed items go back to pending
      // for their next attempt. As in the domain, a batch that had ended completed or failed runs again.
      await runner.query(
        `WITH requeued AS (
           UPDATE batch_items
           SET status = 'pending', attempt = attempt + 1, error = NULL, updated_at = $3
           WHERE batch_id = $1 AND item_id = ANY($2::text[]) AND status = 'failed'
           RETURNING 1
         ), counted AS (SELECT count(*)::int AS requeued FROM requeued)
         UPDATE batches
         SET failed_count = failed_count - counted.requeued,
             pending_count = pending_count + counted.requeued,
             status = CASE WHEN status IN ('completed', 'failed') THEN 'running' ELSE status END,
             completed_at = CASE WHEN status IN ('completed', 'failed') THEN NULL ELSE completed_at END,
             ended_at = CASE WHEN status IN ('completed', 'failed') THEN NULL ELSE ended_at END
         FROM counted
         WHERE batch_id = $1`,
        [batchId, event.data.itemIds, occurredAt],
      );
      return;
    case 'BatchCompleted':
    case 'BatchFailed':
      await runner.query(
        `UPDATE batches SET status = $2, completed_at = $3, ended_at = $3 WHERE batch_id = $1`,
        [batchId, event.type === 'BatchCompleted' ? 'completed' : 'failed', occurredAt],
      );
      return;
    case 'BatchDiscarded':
      // Its conversations stay: they belong to the user, not to the batch's read model.
      await runner.query(
        `WITH items AS (DELETE FROM batch_items WHERE batch_id = $1) DELETE FROM batches WHERE batch_id = $1`,
        [batchId],
      );
      return;
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${(unhandled as LifecycleEvent).type}`);
    }
  }
}
