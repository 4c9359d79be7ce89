import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ValidationError, type ConversationSummary } from '@batch/contracts';
import { saveConversations, type ConversationInput } from '../conversations/conversation.repository.js';
import { migratedDatabase } from '../persistence.spec-helpers.js';
import { encodeCursor } from './page-cursor.js';
import type { Page } from './batch-views.js';
import { deleteConversations, getConversation, listConversations } from './conversations.queries.js';

let database: Awaited<ReturnType<typeof migratedDatabase>>;
let ds: DataSource;

beforeAll(async () => {
  database = await migratedDatabase();
  ({ ds } = database);
});
afterAll(() => database.close());

const conversation = (
  userId: string,
  batchId: string,
  itemId: string,
  createdAt: string,
  turnCount = 2,
): ConversationInput => {
  const id = `${batchId}-${itemId}`;
  return {
    id,
    batchId,
    itemId,
    userId,
    topic: `topic of ${itemId}`,
    persona: 'a patient teacher',
    content: `conversation ${id}`,
    createdAt,
    turns: Array.from({ length: turnCount }, (_, index) => ({
      id: `${id}-turn-${index}`,
      role: index % 2 === 0 ? 'user' : 'assistant',
      content: `turn ${index} of ${id}`,
      // Stored out of order on purpose: the answer sorts them.
      sequence: turnCount - index,
    })),
  };
};

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

async function allPages(next: (cursor?: string) => Promise<Page<ConversationSummary>>) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await next(cursor);
    pages.push(page.items.map((item) => item.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return pages;
}

describe('listing conversations', () => {
  /** lister: b1/i1 at :01, b1/i2 at :02 (3 turns), b2/i1 and b2/i2 both at :03; b2/i3 at :04. other: b3/i1. */
  beforeAll(async () => {
    await saveConversations(ds, [
      conversation('lister', 'b1', 'i1', at(1)),
      conversation('lister', 'b1', 'i2', at(2), 3),
      conversation('lister', 'b2', 'i1', at(3)),
      conversation('lister', 'b2', 'i2', at(3)),
      conversation('lister', 'b2', 'i3', at(4), 0),
      conversation('other', 'b3', 'i1', at(5)),
    ]);
  });

  it('lists the user’s conversations newest first, ties by id, with their turn counts', async () => {
    const page = await listConversations(ds, { userId: 'lister' });
    expect(page.next_cursor).toBeNull();
    expect(page.items).toEqual([
      {
        id: 'b2-i3',
        batch_id: 'b2',
        item_id: 'i3',
        persona: 'a patient teacher',
        created_at: at(4),
        turn_count: 0,
      },
      expect.objectContaining({ id: 'b2-i2', created_at: at(3), turn_count: 2 }),
      expect.objectContaining({ id: 'b2-i1', created_at: at(3), turn_count: 2 }),
      expect.objectContaining({ id: 'b1-i2', created_at: at(2), turn_count: 3 }),
      expect.objectContaining({ id: 'b1-i1', created_at: at(1), turn_count: 2 }),
    ]);
  });

  it('pages with the cursor, through ties, each row once', async () => {
    const pages = await allPages((cursor) => listConversations(ds, { userId: 'lister', cursor, limit: 2 }));
    expect(pages).toEqual([['b2-i3', 'b2-i2'], ['b2-i1', 'b1-i2'], ['b1-i1']]);
  });

  it('keeps rows apart that differ by microseconds only', async () => {
    await saveConversations(ds, [
      conversation('precise', 'b4', 'early', at(0)),
      conversation('precise', 'b4', 'middle', at(0)),
      conversation('precise', 'b4', 'late', at(0)),
    ]);
    const microseconds = { early: 100, middle: 400, late: 700 };
    for (const [itemId, micro] of Object.entries(microseconds))
      await ds.query(
        `UPDATE conversations SET created_at = created_at + $2 * interval '1 microsecond' WHERE id = $1`,
        [`b4-${itemId}`, micro],
      );
    const pages = await allPages((cursor) => listConversations(ds, { userId: 'precise', cursor, limit: 1 }));
    expect(pages).toEqual([['b4-late'], ['b4-middle'], ['b4-early']]);
  });

  it('filters by batch, and another user’s batch yields nothing', async () => {
    const b1 = await listConversations(ds, { userId: 'lister', batchId: 'b1' });
    expect(b1.items.map((item) => item.id)).toEqual(['b1-i2', 'b1-i1']);
    const pages = await allPages((cursor) =>
      listConversations(ds, { userId: 'lister', batchId: 'b2', cursor, limit: 2 }),
    );
    expect(pages).toEqual([['b2-i3', 'b2-i2'], ['b2-i1']]);
    expect(await listConversations(ds, { userId: 'lister', batchId: 'b3' })).toEqual({
      items: [],
      next_cursor: null,
    });
    expect((await listConversations(ds, { userId: 'nobody' })).items).toEqual([]);
  });

  it('refuses a cursor it did not make as a validation error', async () => {
    const list = (cursor: string) => listConversations(ds, { userId: 'lister', cursor });
    await expect(list('not a cursor')).rejects.toThrow(ValidationError);
    await expect(list(encodeCursor(['yesterday', 'b1-i1']))).rejects.toThrow(ValidationError);
    await expect(list(encodeCursor([at(3)]))).rejects.toThrow(ValidationError);
    await expect(list(encodeCursor([at(3), 'conv\u0000x']))).rejects.toThrow(/NUL/);
  });
});

describe('getting a conversation', () => {
  it('answers it with its turns in sequence order', async () => {
    const input = conversation('reader', 'b5', 'i1', at(7), 3);
    await saveConversations(ds, [input]);
    expect(await getConversation(ds, 'reader', input.id)).toEqual({
      id: input.id,
      batch_id: 'b5',
      item_id: 'i1',
      topic: 'topic of i1',
      persona: 'a patient teacher',
      content: `conversation ${input.id}`,
      created_at: at(7),
      turns: [...input.turns]
        .reverse()
        .map(({ id, role, content, sequence }) => ({ id, role, content, sequence })),
    });
  });

  it('does not find another user’s conversation, nor one that does not exist', async () => {
    await saveConversations(ds, [conversation('owner', 'b6', 'i1', at(8))]);
    expect(await getConversation(ds, 'intruder', 'b6-i1')).toBeUndefined();
    expect(await getConversation(ds, 'owner', 'no-such-conversation')).toBeUndefined();
  });
});

describe('deleting conversations', () => {
  const countOf = async (sql: string, params: unknown[]): Promise<number> =>
    (await ds.query(sql, params))[0].count;

  it('deletes the user’s conversations among the ids, more than one statement’s worth, with their turns', async () => {
    const mine = Array.from({ length: 2_100 }, (_, index) =>
      conversation('deleter', 'b7', `i${index}`, at(9), 1),
    );
    const theirs = conversation('bystander', 'b8', 'i0', at(9));
    await saveConversations(ds, [...mine, theirs]);
    const ids = [...mine.map((c) => c.id), theirs.id, 'no-such-conversation', mine[0]!.id];

    const { deleted } = await deleteConversations(ds, 'deleter', ids);

    expect(deleted).toEqual(mine.map((c) => c.id));
    expect(
      await countOf(`SELECT count(*)::int AS count FROM conversations WHERE user_id = $1`, ['deleter']),
    ).toBe(0);
    expect(
      await countOf(`SELECT count(*)::int AS count FROM conversation_turns WHERE conversation_id = ANY($1)`, [
        mine.map((c) => c.id),
      ]),
    ).toBe(0);
    expect((await getConversation(ds, 'bystander', theirs.id))!.turns).toHaveLength(2);
  });

  it('answers only what it deleted: nothing when asked again, nothing for no ids', async () => {
    const input = conversation('repeater', 'b9', 'i1', at(10));
    await saveConversations(ds, [input]);
    expect(await deleteConversations(ds, 'repeater', [input.id])).toEqual({ deleted: [input.id] });
    expect(await deleteConversations(ds, 'repeater', [input.id])).toEqual({ deleted: [] });
    expect(await deleteConversations(ds, 'repeater', [])).toEqual({ deleted: [] });
  });
});
