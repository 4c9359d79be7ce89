import type { DataSource } from 'typeorm';
import type { ResultLine } from '@batch/contracts';

export interface ResultsPageQuery {
  userId: string;
  batchId: string;
  /** The last item id of the previous page; the first page without it. */
  afterItemId?: string;
  limit?: number;
}

interface ConversationRow {
  id: string;
  item_id: string;
  topic: string;
  persona: string;
  created_at: Date;
}

interface TurnRow {
  conversation_id: string;
  role: string;
  content: string;
}

/**
 * A page of the completed items of the user's batch with their conversations, in item id order
 * (keyset on the (batch_id, item_id) unique index, so page n costs what page 1 costs).
 */
export async function resultsPage(
  dataSource: DataSource,
  { userId, batchId, afterItemId, limit = 500 }: ResultsPageQuery,
): Promise<ResultLine[]> {
  const conversations: ConversationRow[] = await dataSource.query(
    `SELECT id, item_id, topic, persona, created_at FROM conversations
      WHERE batch_id = $1 AND user_id = $2 AND ($3::text IS NULL OR item_id > $3)
      ORDER BY item_id LIMIT $4`,
    [batchId, userId, afterItemId ?? null, limit],
  );
  if (conversations.length === 0) return [];
  const turns: TurnRow[] = await dataSource.query(
    `SELECT conversation_id, role, content FROM conversation_turns
      WHERE conversation_id = ANY($1) ORDER BY conversation_id, sequence`,
    [conversations.map((conversation) => conversation.id)],
  );
  const turnsOf = new Map<string, { role: string; content: string }[]>();
  for (const { conversation_id, role, content } of turns) {
    const list = turnsOf.get(conversation_id) ?? [];
    list.push({ role, content });
    turnsOf.set(conversation_id, list);
  }
  return conversations.map((conversation) => ({
    item_id: conversation.item_id,
    conversation_id: conversation.id,
    topic: conversation.topic,
    persona: conversation.persona,
    turns: turnsOf.get(conversation.id) ?? [],
    created_at: conversation.created_at.toISOString(),
  }));
}
