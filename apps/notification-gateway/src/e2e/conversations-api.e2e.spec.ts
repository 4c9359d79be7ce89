import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type {
  ApiErrorBody,
  BatchEvent,
  BatchView,
  ConversationDetail,
  ConversationList,
  ConversationSummary,
} from '@batch/contracts';
import { itemsOf, startPlatform, type Answer, type Caller, type Platform } from '@batch/testing';

let platform: Platform;
let alice: Caller;
let bob: Caller;
/** alice's batches, the second created after the first completed; bob's one batch. */
let first: string;
let second: string;
let bobs: string;

const has = (batchId: string, type: BatchEvent['type']) => (events: BatchEvent[]) =>
  events.some((event) => event.batchId === batchId && event.type === type);

async function createAndFinish(caller: Caller, prefix: string, count: number): Promise<string> {
  const created = await caller.call<BatchView>('POST', '/api/v1/batches', {
    items: itemsOf(count, prefix),
    config: { provider: 'template' },
  });
  expect(created.status).toBe(201);
  await platform.watcher.until(has(created.body.batch_id, 'BatchCompleted'));
  return created.body.batch_id;
}

beforeAll(async () => {
  platform = await startPlatform();
  alice = await platform.as('alice');
  bob = await platform.as('bob');
  first = await createAndFinish(alice, 'first', 3);
  second = await createAndFinish(alice, 'second', 4);
  bobs = await createAndFinish(bob, 'bobs', 2);
}, 120_000);
afterAll(() => platform?.close());

const list = (caller: Caller, query = '') =>
  caller.call<ConversationList>('GET', `/api/v1/conversations${query}`);

/** Every page of the list, following `next_cursor` until it is null. */
async function allPages(caller: Caller, query: string): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: Answer<ConversationList> = await list(caller, `?${query}${after}`);
    expect(page.status).toBe(200);
    pages.push(page.body.conversations.map((c) => c.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  return pages;
}

const newestFirst = (a: ConversationSummary, b: ConversationSummary) =>
  b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);

describe('the conversations API', () => {
  it("lists the user's conversations newest first, each with its turn count", async () => {
    const all = await list(alice);
    expect(all.status).toBe(200);
    expect(all.body.next_cursor).toBeNull();
    const { conversations } = all.body;
    expect(conversations).toHaveLength(7);
    expect(Object.keys(conversations[0]!).sort()).toEqual(
      ['id', 'batch_id', 'item_id', 'persona', 'created_at', 'turn_count'].sort(),
    );
    expect([...conversations].sort(newestFirst)).toEqual(conversations);
    expect(conversations.map((c) => c.batch_id)).toEqual([...Array(4).fill(second), ...Array(3).fill(first)]);
    for (const summary of conversations) {
      const detail = await alice.call<ConversationDetail>('GET', `/api/v1/conversations/${summary.id}`);
      expect(summary.turn_count).toBe(detail.body.turns.length);
      expect(summary.turn_count).toBeGreaterThan(1);
    }
  });

  it('pages with the cursor, each conversation once, in the same order', async () => {
    const all = (await list(alice)).body.conversations.map((c) => c.id);
    const pages = await allPages(alice, 'limit=3');
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(all);
  });

  it("filters by batch: one batch's conversations, none of another user's batch", async () => {
    const ofFirst = await list(alice, `?batchId=${first}`);
    expect(ofFirst.body.conversations.map((c) => c.item_id).sort()).toEqual([
      'first-0',
      'first-1',
      'first-2',
    ]);
    const ofSecond = await allPages(alice, `batchId=${second}&limit=3`);
    expect(ofSecond.map((page) => page.length)).toEqual([3, 1]);
    expect(ofSecond.flat()).toEqual(
      (await list(alice)).body.conversations.filter((c) => c.batch_id === second).map((c) => c.id),
    );
    expect(await list(alice, `?batchId=${bobs}`)).toMatchObject({
      status: 200,
      body: { conversations: [], next_cursor: null },
    });
  });

  it('answers one conversation with its turns in order', async () => {
    const [summary] = (await list(alice, `?batchId=${first}`)).body.conversations;
    const one = await alice.call<ConversationDetail>('GET', `/api/v1/conversations/${summary!.id}`);
    expect(one.status).toBe(200);
    const topic = `topic number ${summary!.item_id.replace('first-', '')}`;
    expect(Object.keys(one.body).sort()).toEqual(
      ['id', 'batch_id', 'item_id', 'topic', 'persona', 'content', 'created_at', 'turns'].sort(),
    );
    expect(one.body).toMatchObject({
      id: summary!.id,
      batch_id: first,
      item_id: summary!.item_id,
      topic,
      persona: summary!.persona,
      created_at: summary!.created_at,
    });
    expect(one.body.content).toContain(`user: Can you explain ${topic}?`);
    expect(one.body.turns.map((turn) => [turn.sequence, turn.role])).toEqual([
      [1, 'system'],
      [2, 'user'],
      [3, 'assistant'],
      [4, 'user'],
      [5, 'assistant'],
    ]);
    expect(one.body.turns[1]).toEqual({
      id: expect.any(String),
      role: 'user',
      content: `Can you explain ${topic}?`,
      sequence: 2,
    });
  });

  it("keeps each user's conversations to themselves: another user's is 404, never listed", async () => {
    const alices = (await list(alice)).body.conversations;
    const bobsList = (await list(bob)).body.conversations;
    expect(bobsList.map((c) => c.batch_id)).toEqual([bobs, bobs]);
    expect(alices.some((c) => c.batch_id === bobs)).toBe(false);

    const stranger = await platform.as('stranger');
    expect((await list(stranger)).body).toEqual({ conversations: [], next_cursor: null });
    expect((await list(stranger, `?batchId=${first}`)).body).toEqual({
      conversations: [],
      next_cursor: null,
    });
    const notTheirs = await stranger.call<ApiErrorBody>('GET', `/api/v1/conversations/${alices[0]!.id}`);
    expect(notTheirs.status).toBe(404);
    expect(notTheirs.body.error).toEqual({ code: 'not_found', message: expect.any(String) });
    const nowhere = await alice.call<ApiErrorBody>('GET', '/api/v1/conversations/no-such-conversation');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error.code).toBe('not_found');
    const tooLong = await alice.call<ApiErrorBody>('GET', `/api/v1/conversations/${'x'.repeat(300)}`);
    expect(tooLong.status).toBe(404);
  });

  it('refuses a bad cursor, batch id or limit with 422 naming the field', async () => {
    const badCursor = await alice.call<ApiErrorBody>('GET', '/api/v1/conversations?cursor=not-a-cursor');
    expect(badCursor.status).toBe(422);
    expect(badCursor.body.error).toMatchObject({
      code: 'validation',
      message: expect.stringContaining('cursor'),
    });
    const badBatch = await alice.call<ApiErrorBody>('GET', '/api/v1/conversations?batchId=no.dots');
    expect(badBatch.status).toBe(422);
    expect(badBatch.body.error.message).toContain('batchId');
    for (const limit of ['0', '1001', 'many'])
      expect((await alice.call('GET', `/api/v1/conversations?limit=${limit}`)).status).toBe(422);
  });

  it('needs a token', async () => {
    const anonymous = await fetch(`${platform.baseUrl}/api/v1/conversations`);
    expect(anonymous.status).toBe(401);
  });
});
