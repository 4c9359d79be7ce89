import type { RestoreConnection, Statement } from './restore-connection.js';
import type { ConversationRow, TurnRow } from './restored-rows.js';

/* The statements of a restore: multi-row upserts of one table's rows, answering which were not written. */

/**
 * Conversations become the restoring user's. One whose id is another user's is left as it is and
 * reported without saying whose. A missing created_at keeps the stored one, so a second restore
 * of the same file gives the same rows.
 */
export async function upsertConversations(
  connection: RestoreConnection,
  userId: string,
  rows: ConversationRow[],
): Promise<Map<number, string>> {
  const stored = await connection.run<{ ord: string }>(UPSERT_CONVERSATIONS, [
    userId,
    rows.map((row) => row.id),
    rows.map((row) => row.batchId),
    rows.map((row) => row.itemId),
    rows.map((row) => row.topic),
    rows.map((row) => row.persona),
    rows.map((row) => row.content),
    rows.map((row) => row.createdAt),
  ]);
  return new Map(stored.map(({ ord }) => [Number(ord) - 1, 'conversation id is taken']));
}

const UPSERT_CONVERSATIONS: Statement = {
  name: 'restore-upsert-conversations',
  text: `WITH r AS (
       SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
         WITH ORDINALITY AS r(id, batch_id, item_id, topic, persona, content, created_at, ord)
     ), written AS (
       INSERT INTO conversations AS c (id, batch_id, item_id, user_id, topic, persona, content, created_at)
       SELECT r.id, r.batch_id, r.item_id, $1::text, r.topic, r.persona, r.content,
              COALESCE(r.created_at,
                       (SELECT e.created_at FROM conversations e WHERE e.id = r.id AND e.user_id = $1::text),
                       now())
         FROM r
       ON CONFLICT (id) DO UPDATE
          SET batch_id = EXCLUDED.batch_id, item_id = EXCLUDED.item_id, topic = EXCLUDED.topic,
              persona = EXCLUDED.persona, content = EXCLUDED.content, created_at = EXCLUDED.created_at
        WHERE c.user_id = EXCLUDED.user_id
       RETURNING c.id
     )
     SELECT r.ord FROM r WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = r.id)`,
};

/**
 * Turns go only to the user's conversations; a turn whose id is in another user's conversation
 * is left where it is. Neither case says whether the other conversation exists.
 */
export async function upsertTurns(
  connection: RestoreConnection,
  userId: string,
  rows: TurnRow[],
): Promise<Map<number, string>> {
  const refused = await connection.run<{ ord: string; owned: boolean }>(UPSERT_TURNS, [
    userId,
    rows.map((row) => row.id),
    rows.map((row) => row.conversationId),
    rows.map((row) => row.role),
    rows.map((row) => row.content),
    rows.map((row) => row.sequence),
  ]);
  return new Map(
    refused.map(({ ord, owned }) => [
      Number(ord) - 1,
      owned ? 'turn id is taken' : `conversation ${rows[Number(ord) - 1]!.conversationId} not found`,
    ]),
  );
}

/*
 * The owner is read by primary key, row by row, rather than joined: the statement is prepared once
 * per connection, often while the conversations are still being written, and a join planned on a
 * small table would read all the user's conversations for each chunk as the table grows.
 */
const UPSERT_TURNS: Statement = {
  name: 'restore-upsert-turns',
  text: `WITH r AS (
       SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[])
         WITH ORDINALITY AS r(id, conversation_id, role, content, sequence, ord)
     ), owned AS (
       SELECT r.* FROM r
        WHERE (SELECT c.user_id FROM conversations c WHERE c.id = r.conversation_id) = $1::text
     ), written AS (
       INSERT INTO conversation_turns AS t (id, conversation_id, role, content, sequence)
       SELECT id, conversation_id, role, content, sequence FROM owned
       ON CONFLICT (id) DO UPDATE
          SET conversation_id = EXCLUDED.conversation_id, role = EXCLUDED.role,
              content = EXCLUDED.content, sequence = EXCLUDED.sequence
        WHERE (SELECT o.user_id FROM conversations o WHERE o.id = t.conversation_id) = $1::text
       RETURNING t.id
     )
     SELECT r.ord, EXISTS (SELECT 1 FROM owned o WHERE o.ord = r.ord) AS owned
       FROM r WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.id = r.id)`,
};

export interface PostgresError {
  code?: string;
  constraint?: string;
  message: string;
}

/**
 * PostgreSQL refused a record's data (a data exception, a constraint, an id twice in one
 * statement, a value too large to index), not the statement or the connection.
 */
export const isRecordError = (error: unknown): error is PostgresError =>
  typeof error === 'object' && error !== null && /^(21|22|23|54)/.test(String((error as PostgresError).code));

/** Statements that lost to another (a deadlock, a serialization failure) and may go again. */
export const isRetryable = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && /^40(P01|001)$/.test(String((error as PostgresError).code));

const CONSTRAINT_MESSAGES: Record<string, string> = {
  conversations_batch_item_key: 'batch_id and item_id are those of another conversation',
  conversation_turns_sequence_key: 'another turn of the conversation has this sequence',
  conversation_turns_conversation_id_fkey: 'conversation not found',
};

/** PostgreSQL's own words for what it refused (no statement, no parameters). */
export const recordErrorMessage = (error: PostgresError): string =>
  (error.constraint && CONSTRAINT_MESSAGES[error.constraint]) || error.message;
