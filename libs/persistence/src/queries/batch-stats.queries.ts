import type { DataSource } from 'typeorm';
import { MAX_LISTED_PERSONAS, TRUNCATED_FINISH_REASONS, type BatchStats } from '@batch/contracts';

/** A bigint or numeric column as node-postgres gives it (text), or null. */
type Big = string | number | null;

interface StatsRow {
  conversations: Big;
  turns_total: Big;
  turns_min: Big;
  turns_mean: Big;
  turns_max: Big;
  characters_total: Big;
  characters_user: Big;
  characters_assistant: Big;
  characters_system: Big;
  empty_replies: Big;
  prompt_tokens: Big;
  completion_tokens: Big;
  conversations_with_usage: Big;
  truncated_conversations: Big;
  distinct_duplicated: Big;
  surplus_copies: Big;
  personas: BatchStats['personas'];
  failures_total: Big;
  truncated_items: Big;
  failures_by_code: BatchStats['failures']['by_code'];
}

/**
 * One statement, so one snapshot of a running batch. Each part reads the batch through an index on
 * batch_id: the conversations with their turns (each conversation's turns by the
 * (conversation_id, sequence) index, summed as it goes), the assistant turns again grouped by md5
 * (a uuid of it: 16 bytes to hash, a sort or hash that spills to disk rather than memory on a huge
 * batch), the personas, the failed items by (batch_id, status). Nothing is held per conversation.
 * Conversations are the user's by their user_id, items by their batch's.
 */
const STATS_SQL = `
  WITH conversation_totals AS (
    SELECT count(*) AS conversations,
           coalesce(sum(t.turns), 0) AS turns_total,
           min(t.turns) AS turns_min,
           round(avg(t.turns), 2) AS turns_mean,
           max(t.turns) AS turns_max,
           coalesce(sum(t.characters), 0) AS characters_total,
           coalesce(sum(t.user_characters), 0) AS characters_user,
           coalesce(sum(t.assistant_characters), 0) AS characters_assistant,
           coalesce(sum(t.system_characters), 0) AS characters_system,
           coalesce(sum(t.empty_replies), 0) AS empty_replies,
           coalesce(sum(c.prompt_tokens), 0) AS prompt_tokens,
           coalesce(sum(c.completion_tokens), 0) AS completion_tokens,
           count(*) FILTER (WHERE c.prompt_tokens IS NOT NULL OR c.completion_tokens IS NOT NULL)
             AS conversations_with_usage,
           count(*) FILTER (WHERE c.finish_reason = ANY($3::text[])) AS truncated_conversations
      FROM conversations c
      CROSS JOIN LATERAL (
        SELECT count(*) AS turns,
               sum(char_length(content)) AS characters,
               sum(char_length(content)) FILTER (WHERE role = 'user') AS user_characters,
               sum(char_length(content)) FILTER (WHERE role = 'assistant') AS assistant_characters,
               sum(char_length(content)) FILTER (WHERE role = 'system') AS system_characters,
               count(*) FILTER (WHERE role = 'assistant' AND content !~ '\\S') AS empty_replies
          FROM conversation_turns
         WHERE conversation_id = c.id
      ) t
     WHERE c.batch_id = $1 AND c.user_id = $2
  ), repeated_replies AS (
    SELECT count(*) AS distinct_duplicated, coalesce(sum(copies - 1), 0) AS surplus_copies
      FROM (SELECT count(*) AS copies
              FROM conversations c
              JOIN conversation_turns t ON t.conversation_id = c.id
             WHERE c.batch_id = $1 AND c.user_id = $2 AND t.role = 'assistant'
             GROUP BY md5(t.content)::uuid
            HAVING count(*) > 1) repeated
  ), top_personas AS (
    SELECT persona, count(*) AS count
      FROM conversations
     WHERE batch_id = $1 AND user_id = $2
     GROUP BY persona
     ORDER BY count(*) DESC, persona COLLATE "C"
     LIMIT $4
  ), listed_personas AS (
    SELECT coalesce(
             json_agg(json_build_object('persona', persona, 'count', count) ORDER BY count DESC, persona COLLATE "C"),
             '[]'::json) AS personas
      FROM top_personas
  ), failure_codes AS (
    SELECT coalesce(error->>'code', 'unknown') AS code, count(*) AS count
      FROM batch_items
     WHERE batch_id = $1 AND status = 'failed'
       AND EXISTS (SELECT 1 FROM batches WHERE batch_id = $1 AND user_id = $2)
     GROUP BY 1
  ), failures AS (
    SELECT coalesce(sum(count), 0) AS failures_total,
           coalesce(sum(count) FILTER (WHERE code = 'ERR_GEN_TRUNCATED'), 0) AS truncated_items,
           coalesce(
             json_agg(json_build_object('code', code, 'count', count) ORDER BY count DESC, code COLLATE "C"),
             '[]'::json) AS failures_by_code
      FROM failure_codes
  )
  SELECT * FROM conversation_totals, repeated_replies, listed_personas, failures`;

const whole = (value: Big): number => Number(value ?? 0);
const orNull = (value: Big): number | null => (value === null ? null : Number(value));

/**
 * The dataset statistics of the user's batch, computed by PostgreSQL over its rows (never loaded):
 * zeros for a batch with nothing stored yet, or for one that is not the user's.
 */
export async function batchStats(
  dataSource: DataSource,
  { userId, batchId }: { userId: string; batchId: string },
): Promise<BatchStats> {
  const [row]: StatsRow[] = await dataSource.query(STATS_SQL, [
    batchId,
    userId,
    [...TRUNCATED_FINISH_REASONS],
    MAX_LISTED_PERSONAS,
  ]);
  const stats = row!;
  return {
    batch_id: batchId,
    conversations: whole(stats.conversations),
    turns: {
      total: whole(stats.turns_total),
      per_conversation: {
        min: orNull(stats.turns_min),
        mean: orNull(stats.turns_mean),
        max: orNull(stats.turns_max),
      },
    },
    characters: {
      total: whole(stats.characters_total),
      user: whole(stats.characters_user),
      assistant: whole(stats.characters_assistant),
      system: whole(stats.characters_system),
    },
    tokens: {
      prompt: whole(stats.prompt_tokens),
      completion: whole(stats.completion_tokens),
      conversations_with_usage: whole(stats.conversations_with_usage),
    },
    personas: stats.personas,
    duplicates: {
      assistant_replies: whole(stats.surplus_copies),
      distinct_duplicated: whole(stats.distinct_duplicated),
    },
    empty_replies: whole(stats.empty_replies),
    truncated: whole(stats.truncated_conversations) + whole(stats.truncated_items),
    failures: { total: whole(stats.failures_total), by_code: stats.failures_by_code },
  };
}
