import { z } from 'zod';
import type { DataSource, QueryRunner } from 'typeorm';
import { ConversationId, type ConversationDetail, type ConversationSummary } from '@batch/contracts';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import { rowsOf } from '../sql.js';
import type { Page } from './batch-views.js';

/**
 * Conversations are listed newest first: created_at, then id to break ties. The time is the one
 * PostgreSQL stores, to the microsecond: a JavaScript Date would round it to the millisecond, and
 * a row written within the same millisecond but later would fall between two pages.
 */
export const ConversationCursor = z.tuple([z.iso.datetime({ offset: true }), ConversationId]);

/** The statement deleting conversations names at most this many ids. */
const DELETE_CHUNK = 1_000;

/** created_at as ISO 8601 in UTC with microseconds: the cursor's position, exact. */
const POSITION = `to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface ListConversationsQuery {
  userId: string;
  /** Only this batch's conversations (still only the user's). */
  batchId?: string;
  cursor?: string;
  limit?: number;
}

interface SummaryRow {
  id: string;
  batch_id: string;
  item_id: string;
  persona: string;
  created_at: Date;
  turn_count: number;
  position: string;
}

/** The user's conversations, newest first, a page at a time (keyset on conversations_user_created_idx). */
export async function listConversations(
  dataSource: DataSource,
  { userId, batchId, cursor, limit = 100 }: ListConversationsQuery,
): Promise<Page<ConversationSummary>> {
  const params: unknown[] = [userId];
  const conditions = ['c.user_id = $1'];
  if (batchId !== undefined) {
    params.push(batchId);
    conditions.push(`c.batch_id = $${params.length}`);
  }
  if (cursor) {
    const [createdAt, id] = decodeCursor(cursor, ConversationCursor);
    params.push(createdAt, id);
    conditions.push(`(c.created_at, c.id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  params.push(limit + 1);
  const rows: SummaryRow[] = await dataSource.query(
    `SELECT c.id, c.batch_id, c.item_id, c.persona, c.created_at, ${POSITION} AS position,
            (SELECT count(*)::int FROM conversation_turns t WHERE t.conversation_id = c.id) AS turn_count
       FROM conversations c
      WHERE ${conditions.join(' AND ')}
      ORDER BY c.created_at DESC, c.id DESC
      LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(({ id, batch_id, item_id, persona, created_at, turn_count }) => ({
      id,
      batch_id,
      item_id,
      persona,
      created_at: created_at.toISOString(),
      turn_count,
    })),
    next_cursor: rows.length > limit && last ? encodeCursor([last.position, last.id]) : null,
  };
}

interface ConversationRow {
  id: string;
  batch_id: string;
  item_id: string;
  topic: string;
  persona: string;
  content: string;
  created_at: Date;
}

/** The user's conversation with its turns in order, or undefined: another user's does not exist for them. */
export async function getConversation(
  dataSource: DataSource,
  userId: string,
  conversationId: string,
): Promise<ConversationDetail | undefined> {
  const [conversation]: ConversationRow[] = await dataSource.query(
    `SELECT id, batch_id, item_id, topic, persona, content, created_at FROM conversations
      WHERE id = $1 AND user_id = $2`,
    [conversationId, userId],
  );
  if (!conversation) return undefined;
  const turns: ConversationDetail['turns'] = await dataSource.query(
    `SELECT id, role, content, sequence FROM conversation_turns WHERE conversation_id = $1 ORDER BY sequence`,
    [conversationId],
  );
  return { ...conversation, created_at: conversation.created_at.toISOString(), turns };
}

/**
 * Deletes the user's conversations among `ids` (their turns go with them, by the foreign key), a
 * statement per 1,000 ids. On a DataSource each statement commits on its own, so no transaction
 * holds a million rows locked, and asking again after a failure deletes the rest; on a query runner
 * they are part of the caller's transaction. Ids of other users, unknown or already deleted are
 * left out of the answer; `deleted` follows the order of `ids`.
 */
export async function deleteConversations(
  db: DataSource | QueryRunner,
  userId: string,
  ids: readonly string[],
): Promise<{ deleted: string[] }> {
  const wanted = [...new Set(ids)];
  const deleted = new Set<string>();
  const runner = 'createQueryRunner' in db ? db.createQueryRunner() : db;
  try {
    for (let start = 0; start < wanted.length; start += DELETE_CHUNK) {
      const rows = await rowsOf<{ id: string }>(
        runner,
        `DELETE FROM conversations WHERE user_id = $1 AND id = ANY($2::text[]) RETURNING id`,
        [userId, wanted.slice(start, start + DELETE_CHUNK)],
      );
      for (const { id } of rows) deleted.add(id);
    }
  } finally {
    if (runner !== db) await runner.release();
  }
  return { deleted: wanted.filter((id) => deleted.has(id)) };
}
