import type { QueryRunner } from 'typeorm';
import type { ItemOutcome } from '@batch/contracts';
import type { AddedItem } from './event-runs.js';

/**
 * Applies a run of outcomes in one statement, by the item rule written at `ItemOutcome` in
 * @batch/contracts (rule 2): an outcome settles an item only if the item is pending in the outcome's
 * attempt; the rows actually changed adjust the batch counts, and the completed ones its tokens and
 * cost (as `evolve` adds them).
 */
export async function settleItems(runner: QueryRunner, outcomes: readonly ItemOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await runner.query(SETTLE_ITEMS, settleParameters(outcomes));
}

/** The statement `settleItems` runs; exported for the test of its plan. */
export const SETTLE_ITEMS = `WITH outcome AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[],
                            $8::bigint[], $9::bigint[], $10::float8[])
         AS o(batch_id, item_id, attempt, status, conversation_id, error, occurred_at,
              prompt_tokens, completion_tokens, cost_usd)
     ), settled AS (
       UPDATE batch_items i
       SET status = o.status, conversation_id = o.conversation_id, error = o.error, updated_at = o.occurred_at
       FROM outcome o
       WHERE i.batch_id = o.batch_id AND i.item_id = o.item_id AND i.status = 'pending' AND i.attempt = o.attempt
       RETURNING i.batch_id, i.status, o.prompt_tokens, o.completion_tokens, o.cost_usd
     ), counted AS (
       SELECT batch_id,
              count(*) FILTER (WHERE status = 'completed')::int AS completed,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
              coalesce(sum(completion_tokens), 0) AS completion_tokens,
              coalesce(sum(cost_usd), 0) AS cost_usd
       FROM settled GROUP BY batch_id
     )
     UPDATE batches b
     SET processed_count = b.processed_count + c.completed,
         failed_count = b.failed_count + c.failed,
         pending_count = b.pending_count - c.completed - c.failed,
         prompt_tokens = b.prompt_tokens + c.prompt_tokens,
         completion_tokens = b.completion_tokens + c.completion_tokens,
         cost_usd = b.cost_usd + c.cost_usd
     FROM counted c
     WHERE b.batch_id = c.batch_id`;

export const settleParameters = (outcomes: readonly ItemOutcome[]): unknown[] => [
  outcomes.map((outcome) => outcome.batchId),
  outcomes.map((outcome) => outcome.data.itemId),
  outcomes.map((outcome) => outcome.data.attempt),
  outcomes.map((outcome) => (outcome.type === 'ItemCompleted' ? 'completed' : 'failed')),
  outcomes.map((outcome) => (outcome.type === 'ItemCompleted' ? outcome.data.conversationId : null)),
  outcomes.map((outcome) => (outcome.type === 'ItemFailed' ? JSON.stringify(outcome.data.error) : null)),
  outcomes.map((outcome) => outcome.occurredAt),
  outcomes.map((outcome) =>
    outcome.type === 'ItemCompleted' ? (outcome.data.usage?.promptTokens ?? null) : null,
  ),
  outcomes.map((outcome) =>
    outcome.type === 'ItemCompleted' ? (outcome.data.usage?.completionTokens ?? null) : null,
  ),
  outcomes.map((outcome) => (outcome.type === 'ItemCompleted' ? (outcome.data.costUsd ?? null) : null)),
];

/** Batches with at least this many pending items at their start get the items' statistics refreshed. */
const ANALYZE_FROM_ITEMS = 1_000;

/**
 * Items just added or requeued are unknown to the planner's statistics until autovacuum analyzes
 * `batch_items` (which it never does for a batch under a tenth of the table). The settle statement's
 * `status = 'pending'` then looks rare, the planner takes the (batch_id, status, position) index,
 * and each outcome walks every pending item of its batch: 13.5 ms an outcome at 100,000 pending
 * items, against 0.01 ms through the primary key. So a large batch's start, or its failed items'
 * requeue, analyzes the table first (a sample of 30,000 rows, whatever its size).
 */
export async function refreshItemStatistics(runner: QueryRunner, batchId: string): Promise<void> {
  const [batch] = (await runner.query(`SELECT pending_count FROM batches WHERE batch_id = $1`, [
    batchId,
  ])) as {
    pending_count: number;
  }[];
  if (batch && batch.pending_count >= ANALYZE_FROM_ITEMS) await runner.query(`ANALYZE batch_items`);
}

/**
 * Inserts a run of added items in one statement: pending, first attempt, positions continuing each
 * batch's order of arrival. Ids already in the batch (the item rule's rule 1) and items of unknown
 * batches are left out.
 */
export async function addItems(runner: QueryRunner, items: readonly AddedItem[]): Promise<void> {
  if (items.length === 0) return;
  await runner.query(
    `WITH arrived AS (
       SELECT a.*, row_number() OVER (PARTITION BY a.batch_id ORDER BY a.arrival) AS nth
       FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[]) WITH ORDINALITY
         AS a(batch_id, item_id, topic, parameters, occurred_at, arrival)
       WHERE EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = a.batch_id)
         AND NOT EXISTS (SELECT 1 FROM batch_items i WHERE i.batch_id = a.batch_id AND i.item_id = a.item_id)
     ), inserted AS (
       INSERT INTO batch_items (batch_id, item_id, position, topic, parameters, status, attempt, updated_at)
       SELECT a.batch_id, a.item_id, b.items_added + a.nth - 1, a.topic, a.parameters, 'pending', 1, a.occurred_at
       FROM arrived a JOIN batches b USING (batch_id)
       RETURNING batch_id
     ), counted AS (
       SELECT batch_id, count(*)::int AS added FROM inserted GROUP BY batch_id
     )
     UPDATE batches b
     SET items_added = b.items_added + c.added,
         total_items = greatest(b.declared_items, b.items_added + c.added),
         pending_count = greatest(b.declared_items, b.items_added + c.added) - b.processed_count - b.failed_count
     FROM counted c
     WHERE b.batch_id = c.batch_id`,
    [
      items.map(({ batchId }) => batchId),
      items.map(({ item }) => item.id),
      items.map(({ item }) => item.topic),
      items.map(({ item }) => (item.parameters === undefined ? null : JSON.stringify(item.parameters))),
      items.map(({ occurredAt }) => occurredAt),
    ],
  );
}
