import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createDataSource, runMigrations } from '@batch/persistence';
import { testDatabase, type TestDatabase } from '@batch/testing';
import { cpuSeconds } from './cpu-usage.js';
import { rate, type Figure } from './report.js';

/** Conversations per transaction, as a worker stores a 100-item work message. */
const PER_TRANSACTION = 100;
const TURNS = 5;
const CONNECTIONS = 2;

interface Turn {
  id: string;
  role: string;
  content: string;
  sequence: number;
}
interface Conversation {
  id: string;
  itemId: string;
  turns: Turn[];
}

/**
 * A way of storing a generated conversation: the tables as the migrations make them, changed by
 * `prepare`, and what one transaction of conversations writes.
 */
interface Layout {
  name: string;
  prepare: string;
  write(client: pg.Client, batchId: string, conversations: Conversation[]): Promise<void>;
}

const reply = (position: number) =>
  `A reply about conversation topic ${position}, a few sentences long as the template provider's are.`;

function conversationsFrom(first: number, count: number): Conversation[] {
  return Array.from({ length: count }, (_, offset) => ({
    id: randomUUID(),
    itemId: `item-${first + offset}`,
    turns: Array.from({ length: TURNS }, (_, sequence) => ({
      id: randomUUID(),
      role: sequence % 2 === 0 ? 'user' : 'assistant',
      content: reply(first + offset),
      sequence,
    })),
  }));
}

/** The conversation rows' columns, as saveConversations (libs/persistence) writes them. */
const conversationColumns = (batchId: string, conversations: Conversation[]) => [
  conversations.map((c) => c.id),
  conversations.map(() => batchId),
  conversations.map((c) => c.itemId),
  conversations.map(() => 'bench'),
  conversations.map((c) => `conversation topic ${c.itemId}`),
  conversations.map(() => 'a persona'),
  conversations.map((c) => c.turns.at(-1)!.content),
  conversations.map(() => new Date()),
  conversations.map(() => 40),
  conversations.map(() => 120),
  conversations.map(() => 'stop'),
];
const INSERT_CONVERSATIONS = (extra = '', extraType = '') =>
  `INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at,
                              prompt_tokens, completion_tokens, finish_reason${extra})
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                        $8::timestamptz[], $9::int[], $10::int[], $11::text[]${extraType})
   ON CONFLICT (batch_id, item_id) DO NOTHING
   RETURNING id`;
const STORED = `SELECT c.id FROM conversations c
                 JOIN unnest($1::text[], $2::text[]) AS wanted(batch_id, item_id) USING (batch_id, item_id)`;

/** saveConversations' statements: the conversations, their turns as rows, what was stored. */
async function writeTurnRows(client: pg.Client, batchId: string, conversations: Conversation[]) {
  await client.query('BEGIN');
  await client.query(INSERT_CONVERSATIONS(), conversationColumns(batchId, conversations));
  const turns = conversations.flatMap((c) => c.turns.map((turn) => ({ ...turn, conversationId: c.id })));
  await client.query(
    `INSERT INTO conversation_turns (id, conversation_id, role, content, sequence)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])`,
    [
      turns.map((turn) => turn.id),
      turns.map((turn) => turn.conversationId),
      turns.map((turn) => turn.role),
      turns.map((turn) => turn.content),
      turns.map((turn) => turn.sequence),
    ],
  );
  await client.query(STORED, [conversations.map(() => batchId), conversations.map((c) => c.itemId)]);
  await client.query('COMMIT');
}

const LAYOUTS: Layout[] = [
  { name: 'turns as rows (as migrated)', prepare: '', write: writeTurnRows },
  {
    name: 'turns as rows, without the foreign key',
    prepare: 'ALTER TABLE conversation_turns DROP CONSTRAINT conversation_turns_conversation_id_fkey',
    write: writeTurnRows,
  },
  {
    name: 'turns as rows, without the turn id key',
    prepare: 'ALTER TABLE conversation_turns DROP CONSTRAINT conversation_turns_pkey',
    write: writeTurnRows,
  },
  {
    name: 'turns as rows, without the turn id key and the foreign key',
    prepare: `ALTER TABLE conversation_turns DROP CONSTRAINT conversation_turns_conversation_id_fkey;
              ALTER TABLE conversation_turns DROP CONSTRAINT conversation_turns_pkey`,
    write: writeTurnRows,
  },
  {
    name: 'turns as JSONB in the conversation row',
    prepare: 'ALTER TABLE conversations ADD COLUMN turns jsonb',
    write: async (client, batchId, conversations) => {
      await client.query('BEGIN');
      await client.query(INSERT_CONVERSATIONS(', turns', ', $12::jsonb[]'), [
        ...conversationColumns(batchId, conversations),
        conversations.map((c) => JSON.stringify(c.turns)),
      ]);
      await client.query(STORED, [conversations.map(() => batchId), conversations.map((c) => c.itemId)]);
      await client.query('COMMIT');
    },
  },
];

async function connectTo(database: TestDatabase): Promise<pg.Client & { backendPid: number }> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(`SET search_path TO "${database.schema}"`);
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return Object.assign(client, { backendPid: rows[0]!.pid });
}

/** Stores `count` conversations over the connections, each its share in transactions of 100. */
async function store(layout: Layout, database: TestDatabase, batchId: string, count: number) {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectTo(database)));
  try {
    const cpuBefore = clients.map((client) => cpuSeconds(client.backendPid));
    const startedAt = performance.now();
    await Promise.all(
      clients.map(async (client, index) => {
        for (let first = index * PER_TRANSACTION; first < count; first += CONNECTIONS * PER_TRANSACTION)
          await layout.write(client, batchId, conversationsFrom(first, PER_TRANSACTION));
      }),
    );
    const ms = performance.now() - startedAt;
    const cpu = clients.reduce(
      (sum, client, index) => sum + cpuSeconds(client.backendPid) - cpuBefore[index]!,
      0,
    );
    return { itemsPerSecond: rate(count, ms), cpuMsPerItem: Math.round((cpu / count) * 1e6) / 1e3 };
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/**
 * `BENCH_ONLY=storage`: what PostgreSQL spends storing a generated conversation (a conversation and
 * its 5 turns) in each layout the engine speed issue weighed, on our migrations' tables with
 * BENCH_STORAGE_PRELOAD conversations already there (default 200,000: indexes of a used database),
 * then BENCH_STORAGE_ITEMS (50,000) more, 100 per transaction, over 2 connections. CPU is the two
 * backends' (`/proc`), WAL writer and checkpoints not counted.
 */
export async function storageBench(): Promise<Figure[]> {
  const preload = Number(process.env.BENCH_STORAGE_PRELOAD ?? 200_000);
  const count = Number(process.env.BENCH_STORAGE_ITEMS ?? 50_000);
  const figures: Figure[] = [];
  for (const layout of LAYOUTS) {
    const database = await testDatabase();
    try {
      const ds = await createDataSource({ url: database.url, schema: database.schema, poolSize: 2 });
      await runMigrations(ds);
      if (layout.prepare) await ds.query(layout.prepare);
      await ds.destroy();
      await store(layout, database, 'preload', preload);
      const { itemsPerSecond, cpuMsPerItem } = await store(layout, database, 'measured', count);
      figures.push({
        name: layout.name,
        value: itemsPerSecond,
        unit: 'items/s',
        note: `PostgreSQL ${cpuMsPerItem} core-ms per item`,
      });
    } finally {
      await database.close();
    }
  }
  return figures;
}
