import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../persistence.spec-helpers.js';
import { createConversationSaver } from './conversation-saver.js';
import type { ConversationInput } from './conversation.repository.js';

let database: Awaited<ReturnType<typeof migratedDatabase>>;
let ds: DataSource;

beforeAll(async () => {
  database = await migratedDatabase();
  ({ ds } = database);
});
afterAll(() => database.close());

let made = 0;
const conversation = (itemId: string): ConversationInput => {
  const id = `saved-${++made}`;
  return {
    id,
    batchId: 'b-saver',
    itemId,
    userId: 'user-1',
    topic: itemId,
    persona: 'Teacher',
    content: `conversation ${id}`,
    createdAt: new Date(),
    turns: [{ id: `${id}-1`, role: 'user', content: 'hi', sequence: 1 }],
  };
};

describe('the conversation saver', () => {
  it('stores replies arriving together and answers each its own conversation', async () => {
    const saver = createConversationSaver(ds, { maxDelayMs: 20 });
    const replies = ['i1', 'i2', 'i3'].map(conversation);
    const saved = await Promise.all(replies.map((reply) => saver.save(reply)));

    expect(saved.map((one) => one.conversationId)).toEqual(replies.map((reply) => reply.id));
    const rows = await ds.query(
      `SELECT item_id FROM conversations WHERE batch_id = 'b-saver' ORDER BY item_id`,
    );
    expect(rows.map((row: { item_id: string }) => row.item_id)).toEqual(['i1', 'i2', 'i3']);
  });

  it("answers a second reply for an item with the first one's conversation, storing nothing more", async () => {
    const saver = createConversationSaver(ds, { maxDelayMs: 1 });
    const first = await saver.save(conversation('i4'));
    const second = await saver.save(conversation('i4'));

    expect(first.created).toBe(true);
    expect(second).toMatchObject({ conversationId: first.conversationId, created: false });
  });

  it('sends a full group at once: it does not wait out the delay (an hour here)', async () => {
    const saver = createConversationSaver(ds, { maxDelayMs: 3_600_000, maxPerTransaction: 2 });
    const saved = await Promise.all([saver.save(conversation('i5')), saver.save(conversation('i6'))]);

    expect(saved.map((one) => one.created)).toEqual([true, true]);
  });
});
