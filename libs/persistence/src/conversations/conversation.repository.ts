import type { DataSource } from 'typeorm';
import { storableText } from '@batch/contracts';
import { ConversationRecord } from '../entities/conversation.entity.js';
import { inTransaction, rowsOf } from '../sql.js';

export interface ConversationTurnInput {
  id: string;
  role: string;
  content: string;
  sequence: number;
}

export interface ConversationInput {
  id: string;
  batchId: string;
  itemId: string;
  userId: string;
  topic: string;
  persona: string;
  content: string;
  createdAt: Date | string;
  turns: ConversationTurnInput[];
  /** Tokens the provider counted for the reply, when it said. */
  usage?: { promptTokens: number; completionTokens: number };
  /** How the reply ended, as the provider said (`stop`, `length`, `end_turn`...). */
  finishReason?: string;
}

export interface SavedConversation {
  batchId: string;
  itemId: string;
  /** The conversation stored for the item: this call's, or the one an earlier call stored. */
  conversationId: string;
  created: boolean;
}

/** The conversations already stored for these items of a batch, by item id. */
export async function findConversationIds(
  dataSource: DataSource,
  batchId: string,
  itemIds: readonly string[],
): Promise<Map<string, string>> {
  const found = await dataSource
    .getRepository(ConversationRecord)
    .createQueryBuilder('conversation')
    .select(['conversation.itemId', 'conversation.id'])
    .where('conversation.batchId = :batchId', { batchId })
    .andWhere('conversation.itemId = ANY(:itemIds)', { itemIds })
    .getMany();
  return new Map(found.map((conversation) => [conversation.itemId, conversation.id]));
}

const itemKey = (batchId: string, itemId: string) => `${batchId}\n${itemId}`;

/**
 * Stores conversations and their turns in one transaction, a few multi-row statements whatever the
 * count. Text PostgreSQL refuses (a NUL in a model's reply) is stored with U+FFFD in its place. An item that already has a conversation keeps it (a redelivered work message never makes a
 * second one); the answer names, for every input in order, the conversation stored for its item.
 */
export async function saveConversations(
  dataSource: DataSource,
  conversations: readonly ConversationInput[],
): Promise<SavedConversation[]> {
  if (conversations.length === 0) return [];
  return inTransaction(dataSource, async (runner) => {
    const inserted = await rowsOf<{ id: string }>(
      runner,
      `INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at,
                                  prompt_tokens, completion_tokens, finish_reason)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::timestamptz[], $9::int[], $10::int[], $11::text[])
       ON CONFLICT (batch_id, item_id) DO NOTHING
       RETURNING id`,
      [
        conversations.map((c) => c.id),
        conversations.map((c) => c.batchId),
        conversations.map((c) => c.itemId),
        conversations.map((c) => c.userId),
        conversations.map((c) => storableText(c.topic)),
        conversations.map((c) => storableText(c.persona)),
        conversations.map((c) => storableText(c.content)),
        conversations.map((c) => new Date(c.createdAt)),
        conversations.map((c) => c.usage?.promptTokens ?? null),
        conversations.map((c) => c.usage?.completionTokens ?? null),
        conversations.map((c) => (c.finishReason === undefined ? null : storableText(c.finishReason))),
      ],
    );
    const created = new Set(inserted.map((row) => row.id));
    const turns = conversations
      .filter((c) => created.has(c.id))
      .flatMap((c) => c.turns.map((turn) => ({ ...turn, conversationId: c.id })));
    if (turns.length > 0)
      await runner.query(
        `INSERT INTO conversation_turns (id, conversation_id, role, content, sequence)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])`,
        [
          turns.map((turn) => turn.id),
          turns.map((turn) => turn.conversationId),
          turns.map((turn) => storableText(turn.role)),
          turns.map((turn) => storableText(turn.content)),
          turns.map((turn) => turn.sequence),
        ],
      );
    // A separate statement: under READ COMMITTED it sees a row a concurrent save committed meanwhile.
    const stored = await rowsOf<{ id: string; batch_id: string; item_id: string }>(
      runner,
      `SELECT c.id, c.batch_id, c.item_id FROM conversations c
       JOIN unnest($1::text[], $2::text[]) AS wanted(batch_id, item_id) USING (batch_id, item_id)`,
      [conversations.map((c) => c.batchId), conversations.map((c) => c.itemId)],
    );
    const storedIds = new Map(stored.map((row) => [itemKey(row.batch_id, row.item_id), row.id]));
    return conversations.map(({ id, batchId, itemId }) => {
      const conversationId = storedIds.get(itemKey(batchId, itemId))!;
      return { batchId, itemId, conversationId, created: created.has(id) };
    });
  });
}
