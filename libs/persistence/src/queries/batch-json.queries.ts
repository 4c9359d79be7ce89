import type { DataSource } from 'typeorm';
import { BATCHES_PROJECTION } from '../projection/projection-checkpoint.js';
import { preparedRows } from '../sql.js';
import type { ListBatchesQuery } from './batch.queries.js';
import { BatchCursor, decodeCursor, encodeCursor } from './page-cursor.js';

const isoMs = (column: string) => `to_char(b.${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A row of `batches b` as the API's batch view: `toBatchView`'s fields in its order, each the value
 * it computes (progress floored to a tenth in double precision, the cost rounded half up to 1e-9 as
 * Math.round does, times to the millisecond in UTC), so PostgreSQL hands over the JSON itself.
 */
const VIEW = `
  SELECT b.batch_id, b.name, b.status, b.total_items, b.processed_count, b.failed_count, b.pending_count,
    CASE WHEN b.total_items = 0 THEN 0
      ELSE floor((b.processed_count + b.failed_count)::float8 / b.total_items * 1000) / 10 END AS progress_percent,
    b.config, ${isoMs('created_at')} AS created_at, ${isoMs('started_at')} AS started_at,
    ${isoMs('paused_at')} AS paused_at, b.pause_reason, ${isoMs('completed_at')} AS completed_at,
    b.prompt_tokens, b.completion_tokens,
    (floor(nano.usd) + CASE WHEN nano.usd - floor(nano.usd) >= 0.5 THEN 1 ELSE 0 END) / 1e9::float8 AS cost_usd,
    ${isoMs('last_checkpoint_at')} AS last_checkpoint_at
  FROM (SELECT b.cost_usd * 1e9::float8 AS usd) nano`;

/** Read in the statement's snapshot: the page holds exactly the events up to it. */
const APPLIED_SEQ = `(SELECT last_seq FROM projection_checkpoints WHERE name = '${BATCHES_PROJECTION}')`;

interface Fresh {
  /** The stream sequence the read models held every event up to when this was read. */
  appliedSeq: number;
}

export interface BatchListJson extends Fresh {
  /** `{"batches": [views], "next_cursor": ...}`, as `listBatchViews` pages them. */
  json: string;
}

export interface BatchViewJson extends Fresh {
  /** The view's JSON; null when the user has no such batch in the read model. */
  json: string | null;
}

/** The user's batches, newest first, a page at a time, as the API's JSON: built by PostgreSQL. */
export async function listBatchesJson(
  dataSource: DataSource,
  { userId, status, cursor, limit = 100 }: ListBatchesQuery,
): Promise<BatchListJson> {
  const params: unknown[] = [userId, limit];
  const where = ['b.user_id = $1'];
  if (status) where.push(`b.status = $${params.push(status)}`);
  if (cursor) {
    const [createdAt, batchId] = decodeCursor(cursor, BatchCursor);
    where.push(`(b.created_at, b.batch_id) < ($${params.push(createdAt)}, $${params.push(batchId)})`);
  }
  // A statement per combination of filters, each prepared once per connection.
  const name = `list-batches-json${status ? '-status' : ''}${cursor ? '-after' : ''}`;
  const [row] = await preparedRows<{
    applied_seq: string | null;
    batches: string;
    next_created_at: string | null;
    next_batch_id: string | null;
  }>(
    dataSource,
    name,
    `WITH page AS (
       SELECT b.*, row_number() OVER (ORDER BY b.created_at DESC, b.batch_id DESC) AS n
       FROM (SELECT * FROM batches b WHERE ${where.join(' AND ')}
             ORDER BY b.created_at DESC, b.batch_id DESC LIMIT $2 + 1) b
     )
     SELECT ${APPLIED_SEQ} AS applied_seq,
       (SELECT coalesce(json_agg(v ORDER BY b.n), '[]') FROM page b CROSS JOIN LATERAL (${VIEW}) v
        WHERE b.n <= $2)::text AS batches,
       next.created_at AS next_created_at, next.batch_id AS next_batch_id
     FROM (SELECT 1) one
     LEFT JOIN (SELECT ${isoMs('created_at')} AS created_at, b.batch_id FROM page b
                WHERE b.n = $2 AND EXISTS (SELECT FROM page WHERE n > $2)) next ON true`,
    params,
  );
  const next = row!.next_batch_id === null ? null : encodeCursor([row!.next_created_at!, row!.next_batch_id]);
  return {
    appliedSeq: Number(row!.applied_seq ?? 0),
    json: `{"batches":${row!.batches},"next_cursor":${JSON.stringify(next)}}`,
  };
}

/** The user's batch as the API's JSON (null: none of theirs in the read model), built by PostgreSQL. */
export async function batchViewJson(
  dataSource: DataSource,
  userId: string,
  batchId: string,
): Promise<BatchViewJson> {
  const [row] = await preparedRows<{ applied_seq: string | null; batch: string | null }>(
    dataSource,
    'batch-view-json',
    `SELECT ${APPLIED_SEQ} AS applied_seq,
       (SELECT row_to_json(v)::text FROM batches b CROSS JOIN LATERAL (${VIEW}) v
        WHERE b.batch_id = $1 AND b.user_id = $2) AS batch`,
    [batchId, userId],
  );
  return { appliedSeq: Number(row!.applied_seq ?? 0), json: row!.batch };
}
