import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../persistence.spec-helpers.js';
import { findConversationIds, saveConversations, type ConversationInput } from './conversation.repository.js';

let database: Awaited<ReturnType<typeof migratedDatabase>>;
let ds: DataSource;

beforeAll(async () => {
  database = await migratedDatabase();
  ({ ds } = database);
});
afterAll(() => database.close());

let generated = 0;
/** A conversation as a worker makes it: a fresh id every time it generates one. */
const conversation = (batchId: string, itemId: string, turnCount = 2): ConversationInput => {
  const id = `conv-${++generated}`;
  return {
    id,
    batchId,
    itemId,
    userId: 'user-1',
    topic: `topic of ${itemId}`,
    persona: 'a patient teacher',
    content: `conversation ${id}`,
    createdAt: '2026-11-23T10:00:00.000Z',
    turns: Array.from({ length: turnCount }, (_, sequence) => ({
      id: `${id}-turn-${sequence}`,
      role: sequence % 2 === 0 ? 'user' : 'assistant',
      content: `turn ${sequence} of ${id}`,
      sequence,
    })),
  };
};

const countWhere = async (table: string, batchId: string): Promise<number> => {
  const [row] = await ds.query(
    table === 'conversations'
      ? `SELECT count(*)::int AS count FROM conversations WHERE batch_id = $1`
      : `SELECT count(*)::int AS count FROM conversation_turns t JOIN conversations c ON c.id = t.conversation_id WHERE c.batch_id = $1`,
    [batchId],
  );
  return row.count;
};

describe('the conversation repository', () => {
  it('stores conversations with their turns, and finds them by item', async () => {
    const first = conversation('b1', 'i1', 3);
    const second = conversation('b1', 'i2', 2);
    const saved = await saveConversations(ds, [first, second]);
    expect(saved).toEqual([
      { batchId: 'b1', itemId: 'i1', conversationId: first.id, created: true },
      { batchId: 'b1', itemId: 'i2', conversationId: second.id, created: true },
    ]);
    const turns = await ds.query(
      `SELECT id, role, content, sequence FROM conversation_turns WHERE conversation_id = $1 ORDER BY sequence`,
      [first.id],
    );
    expect(turns).toEqual(first.turns);
    const [stored] = await ds.query(`SELECT * FROM conversations WHERE id = $1`, [first.id]);
    expect(stored).toMatchObject({
      batch_id: 'b1',
      item_id: 'i1',
      user_id: 'user-1',
      persona: 'a patient teacher',
    });
    expect(stored.created_at.toISOString()).toBe('2026-11-23T10:00:00.000Z');

    const found = await findConversationIds(ds, 'b1', ['i1', 'i2', 'i3']);
    expect(found).toEqual(
      new Map([
        ['i1', first.id],
        ['i2', second.id],
      ]),
    );
    expect(await findConversationIds(ds, 'other-batch', ['i1'])).toEqual(new Map());
  });

  it('keeps the first conversation of an item when it is saved again, and answers with it', async () => {
    const original = conversation('b2', 'i1');
    await saveConversations(ds, [original]);
    const redelivered = conversation('b2', 'i1', 4);
    const fresh = conversation('b2', 'i2');
    const saved = await saveConversations(ds, [redelivered, fresh]);
    expect(saved).toEqual([
      { batchId: 'b2', itemId: 'i1', conversationId: original.id, created: false },
      { batchId: 'b2', itemId: 'i2', conversationId: fresh.id, created: true },
    ]);
    expect(await countWhere('conversations', 'b2')).toBe(2);
    expect(await countWhere('conversation_turns', 'b2')).toBe(original.turns.length + fresh.turns.length);
  });

  it('stores one conversation when two workers save the same item at once', async () => {
    const racers = [conversation('b3', 'i1'), conversation('b3', 'i1'), conversation('b3', 'i1')];
    const results = await Promise.all(racers.map((racer) => saveConversations(ds, [racer])));
    const ids = new Set(results.map(([saved]) => saved!.conversationId));
    expect(ids.size).toBe(1);
    expect(results.filter(([saved]) => saved!.created)).toHaveLength(1);
    expect(await countWhere('conversations', 'b3')).toBe(1);
    expect(await countWhere('conversation_turns', 'b3')).toBe(2);
  });

  it('saves thousands of conversations with their turns in one call', async () => {
    const many = Array.from({ length: 5_000 }, (_, index) => conversation('b4', `i${index}`, 4));
    const saved = await saveConversations(ds, many);
    expect(saved.every((entry, index) => entry.conversationId === many[index]!.id && entry.created)).toBe(
      true,
    );
    expect(await countWhere('conversation_turns', 'b4')).toBe(20_000);
  });

  it('answers an empty save with nothing', async () => {
    expect(await saveConversations(ds, [])).toEqual([]);
  });
});
