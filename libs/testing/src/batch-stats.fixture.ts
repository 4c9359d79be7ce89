import type { BatchStats, ErrorShape, ItemSpec } from '@batch/contracts';

/** Anything that runs a statement with parameters: a pg client, a TypeORM DataSource. */
export interface Statements {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

type Role = 'system' | 'user' | 'assistant';

interface SeededConversation {
  item: string;
  persona: string;
  prompt: number | null;
  completion: number | null;
  finish: string | null;
  turns: [Role, string][];
}

/**
 * Six conversations written to count by hand: "Hello!" is the reply of four (three surplus copies),
 * "Goodbye." of two (one); one reply is whitespace and one empty; two ended at the token limit;
 * four carry tokens; "Café" has 4 characters in 5 bytes; a user turn "Hello!" is no assistant reply.
 */
const CONVERSATIONS: SeededConversation[] = [
  {
    item: 'i1',
    persona: 'teacher',
    prompt: 10,
    completion: 20,
    finish: 'stop',
    turns: [
      ['system', 'Be brief.'],
      ['user', 'Hi'],
      ['assistant', 'Hello!'],
      ['user', 'Bye'],
      ['assistant', 'Goodbye.'],
    ],
  },
  {
    item: 'i2',
    persona: 'teacher',
    prompt: 5,
    completion: 7,
    finish: 'length',
    turns: [
      ['user', 'Hi'],
      ['assistant', 'Hello!'],
    ],
  },
  {
    item: 'i3',
    persona: 'pirate',
    prompt: null,
    completion: null,
    finish: null,
    turns: [
      ['user', 'Ahoy'],
      ['assistant', ' \n '],
      ['user', 'Well?'],
      ['assistant', 'Hello!'],
    ],
  },
  {
    item: 'i4',
    persona: 'chef',
    prompt: 3,
    completion: 4,
    finish: 'max_tokens',
    turns: [
      ['user', 'Soup?'],
      ['assistant', 'Goodbye.'],
      ['assistant', ''],
    ],
  },
  {
    item: 'i5',
    persona: 'bard',
    prompt: null,
    completion: null,
    finish: 'stop',
    turns: [
      ['user', 'Arr'],
      ['assistant', 'Café'],
      ['user', 'Hm'],
    ],
  },
  {
    item: 'i6',
    persona: 'teacher',
    prompt: 1,
    completion: 1,
    finish: 'stop',
    turns: [
      ['user', 'Hello!'],
      ['assistant', 'Hello!'],
    ],
  },
];

const failure = (code: string): ErrorShape => ({
  code,
  category: 'permanent',
  message: `${code} (seeded)`,
  retryable: false,
});

/** Failed items: one cut at the token limit, two unreadable replies, one simulated failure. */
const FAILURES: Record<string, ErrorShape> = {
  f1: failure('ERR_GEN_TRUNCATED'),
  f2: failure('ERR_GEN_REPLY_FORMAT'),
  f3: failure('ERR_GEN_REPLY_FORMAT'),
  f4: failure('simulated_permanent'),
};

/** The items of the stats batch, in order: i1-i6 completed, f1-f4 failed, p1 still pending. */
export const STATS_BATCH_ITEMS: ItemSpec[] = [
  ...CONVERSATIONS.map(({ item }) => item),
  ...Object.keys(FAILURES),
  'p1',
].map((id) => ({ id, topic: `topic ${id}` }));

/**
 * Writes the stats batch's items, conversations and turns for a batch of `userId` (its row in
 * `batches` is the caller's: created through the API, or inserted). Items already projected are
 * updated to their seeded outcome.
 */
export async function seedStatsBatch(db: Statements, batchId: string, userId: string): Promise<void> {
  const conversationOf = (item: string) => `${batchId}-${item}`;
  for (const [position, { id, topic }] of STATS_BATCH_ITEMS.entries()) {
    const completed = CONVERSATIONS.some(({ item }) => item === id);
    const error = FAILURES[id];
    await db.query(
      `INSERT INTO batch_items (batch_id, item_id, position, topic, status, attempt, conversation_id, error, updated_at)
       VALUES ($1, $2, $3, $4, $5, 1, $6, $7, now())
       ON CONFLICT (batch_id, item_id) DO UPDATE
         SET status = excluded.status, conversation_id = excluded.conversation_id, error = excluded.error`,
      [
        batchId,
        id,
        position,
        topic,
        completed ? 'completed' : error ? 'failed' : 'pending',
        completed ? conversationOf(id) : null,
        error ? JSON.stringify(error) : null,
      ],
    );
  }
  for (const { item, persona, prompt, completion, finish, turns } of CONVERSATIONS) {
    const id = conversationOf(item);
    await db.query(
      `INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at,
                                  prompt_tokens, completion_tokens, finish_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8, $9, $10)`,
      [
        id,
        batchId,
        item,
        userId,
        `topic ${item}`,
        persona,
        JSON.stringify(turns),
        prompt,
        completion,
        finish,
      ],
    );
    for (const [sequence, [role, content]] of turns.entries())
      await db.query(
        `INSERT INTO conversation_turns (id, conversation_id, role, content, sequence) VALUES ($1, $2, $3, $4, $5)`,
        [`${id}-t${sequence}`, id, role, content, sequence],
      );
  }
}

/** The statistics of the seeded batch, counted by hand from the rows above. */
export const seededStats = (batchId: string): BatchStats => ({
  batch_id: batchId,
  conversations: 6,
  // 5 + 2 + 4 + 3 + 3 + 2 turns
  turns: { total: 19, per_conversation: { min: 2, mean: 3.17, max: 5 } },
  characters: {
    total: 88,
    // Hi Bye Hi Ahoy Well? Soup? Arr Hm Hello!
    user: 2 + 3 + 2 + 4 + 5 + 5 + 3 + 2 + 6,
    // Hello! Goodbye. | Hello! | " \n " Hello! | Goodbye. "" | Café | Hello!
    assistant: 6 + 8 + 6 + 3 + 6 + 8 + 0 + 4 + 6,
    system: 9,
  },
  tokens: { prompt: 10 + 5 + 3 + 1, completion: 20 + 7 + 4 + 1, conversations_with_usage: 4 },
  personas: [
    { persona: 'teacher', count: 3 },
    { persona: 'bard', count: 1 },
    { persona: 'chef', count: 1 },
    { persona: 'pirate', count: 1 },
  ],
  duplicates: { assistant_replies: 3 + 1, distinct_duplicated: 2 },
  empty_replies: 2,
  // i2 (length), i4 (max_tokens), f1
  truncated: 3,
  failures: {
    total: 4,
    by_code: [
      { code: 'ERR_GEN_REPLY_FORMAT', count: 2 },
      { code: 'ERR_GEN_TRUNCATED', count: 1 },
      { code: 'simulated_permanent', count: 1 },
    ],
  },
});

/** What a batch with no conversation and no failed item answers. */
export const emptyStats = (batchId: string): BatchStats => ({
  batch_id: batchId,
  conversations: 0,
  turns: { total: 0, per_conversation: { min: null, mean: null, max: null } },
  characters: { total: 0, user: 0, assistant: 0, system: 0 },
  tokens: { prompt: 0, completion: 0, conversations_with_usage: 0 },
  personas: [],
  duplicates: { assistant_replies: 0, distinct_duplicated: 0 },
  empty_replies: 0,
  truncated: 0,
  failures: { total: 0, by_code: [] },
});
