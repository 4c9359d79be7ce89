import type { DataSource } from 'typeorm';

export interface ExportPageQuery {
  userId: string;
  batchId: string;
  /** `completed`: the items with a conversation; `all`: every item, with its status and error. */
  only: 'completed' | 'all';
  /** The last item id of the previous page; the first page without it. */
  afterItemId?: string;
  limit: number;
}

export interface ExportTurn {
  role: string;
  content: string;
}

/** An item of a batch for an export: its conversation when it has one. */
export interface ExportRow {
  item_id: string;
  topic: string;
  parameters: Record<string, unknown> | null;
  status: 'pending' | 'completed' | 'failed';
  error: { code: string; message: string } | null;
  conversation_id: string | null;
  persona: string | null;
  turns: ExportTurn[];
  prompt_tokens: number | null;
  completion_tokens: number | null;
  finish_reason: string | null;
  created_at: Date | null;
}

type ItemRow = Omit<ExportRow, 'turns' | 'error'> & { error: { code: string; message: string } | null };

interface TurnRow {
  conversation_id: string;
  role: string;
  content: string;
}

/**
 * Completed items are read from the conversations (a running batch gives what is done so far),
 * every item from the batch's items. Both page on the (batch_id, item_id) unique index, so page n
 * costs what page 1 costs. The batch must be the user's: checked once (batch ids are unique across
 * users), not as a condition on each row, which let the planner prefer the user's index before
 * ANALYZE had seen a new batch's rows and sort every remaining row for each page.
 */
const PAGE_SQL = {
  completed: `SELECT c.item_id, c.topic, i.parameters, 'completed' AS status, NULL::jsonb AS error,
      c.id AS conversation_id, c.persona, c.prompt_tokens, c.completion_tokens, c.finish_reason, c.created_at
    FROM conversations c LEFT JOIN batch_items i ON i.batch_id = c.batch_id AND i.item_id = c.item_id
    WHERE c.batch_id = $1 AND EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = $1 AND b.user_id = $2)
      AND ($3::text IS NULL OR c.item_id > $3)
    ORDER BY c.batch_id, c.item_id LIMIT $4`,
  all: `SELECT i.item_id, i.topic, i.parameters, i.status, i.error,
      c.id AS conversation_id, c.persona, c.prompt_tokens, c.completion_tokens, c.finish_reason, c.created_at
    FROM batch_items i LEFT JOIN conversations c ON c.batch_id = i.batch_id AND c.item_id = i.item_id
    WHERE i.batch_id = $1 AND EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = $1 AND b.user_id = $2)
      AND ($3::text IS NULL OR i.item_id > $3)
    ORDER BY i.batch_id, i.item_id LIMIT $4`,
};

/** A page of the user's batch for an export, in item id order, each item with its turns in order. */
export async function exportPage(
  dataSource: DataSource,
  { userId, batchId, only, afterItemId, limit }: ExportPageQuery,
): Promise<ExportRow[]> {
  const items: ItemRow[] = await dataSource.query(PAGE_SQL[only], [
    batchId,
    userId,
    afterItemId ?? null,
    limit,
  ]);
  const conversationIds = items.flatMap((item) => (item.conversation_id ? [item.conversation_id] : []));
  const turnsOf = new Map<string, ExportTurn[]>();
  if (conversationIds.length > 0) {
    const turns: TurnRow[] = await dataSource.query(
      `SELECT conversation_id, role, content FROM conversation_turns
        WHERE conversation_id = ANY($1) ORDER BY conversation_id, sequence`,
      [conversationIds],
    );
    for (const { conversation_id, role, content } of turns) {
      const list = turnsOf.get(conversation_id) ?? [];
      list.push({ role, content });
      turnsOf.set(conversation_id, list);
    }
  }
  return items.map((item) => ({
    ...item,
    error: item.error ? { code: item.error.code, message: item.error.message } : null,
    turns: (item.conversation_id && turnsOf.get(item.conversation_id)) || [],
  }));
}
