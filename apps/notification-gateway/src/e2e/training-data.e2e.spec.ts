import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DuckDBInstance } from '@duckdb/node-api';
import type pg from 'pg';
import type { BatchEvent, BatchView } from '@batch/contracts';
import { type Caller, type Platform, schemaClient, startPlatform } from '@batch/testing';

let platform: Platform;
let alice: Caller;
let db: pg.Client;
let scratch: string;

beforeAll(async () => {
  platform = await startPlatform();
  alice = await platform.as('alice');
  db = await schemaClient(platform);
  scratch = await mkdtemp(join(tmpdir(), 'exports-'));
}, 120_000);
afterAll(async () => {
  await db?.end();
  await rm(scratch, { recursive: true, force: true });
  await platform?.close();
});

const ended = (batchId: string) => (events: BatchEvent[]) =>
  events.some(
    (event) => event.batchId === batchId && (event.type === 'BatchCompleted' || event.type === 'BatchFailed'),
  );

const TEMPLATES = {
  provider: 'template' as const,
  systemPrompt: 'You teach {{parameters.audience}}.',
  userPromptTemplate: 'Explain {{topic}} in a {{parameters.tone}} tone.',
};

/** The file of an export as bytes (Parquet is binary), or the answer's status and error. */
async function download(
  batchId: string,
  query: string,
): Promise<{ status: number; bytes: Buffer; type: string }> {
  const response = await fetch(`${platform.baseUrl}/api/v1/batches/${batchId}/results?${query}`, {
    headers: { authorization: `Bearer ${alice.token}` },
  });
  return {
    status: response.status,
    bytes: Buffer.from(await response.arrayBuffer()),
    type: response.headers.get('content-type') ?? '',
  };
}

const jsonLinesOf = (bytes: Buffer) =>
  bytes
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** A Parquet file read back by DuckDB (an independent reader), rows in item order. */
async function parquetRows(bytes: Buffer): Promise<Record<string, unknown>[]> {
  const file = join(scratch, `${Math.random().toString(36).slice(2)}.parquet`);
  await writeFile(file, bytes);
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT *, epoch_ms(created_at) AS created_ms FROM read_parquet('${file}') ORDER BY item_id`,
    );
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    duck.closeSync();
  }
}

interface StoredConversation {
  item_id: string;
  conversation_id: string;
  topic: string;
  persona: string;
  created_at: Date;
  turns: { role: string; content: string }[];
}

/** The batch's conversations as stored, read straight from PostgreSQL. */
async function stored(batchId: string): Promise<StoredConversation[]> {
  const { rows } = await db.query<StoredConversation>(
    `SELECT c.item_id, c.id AS conversation_id, c.topic, c.persona, c.created_at,
            json_agg(json_build_object('role', t.role, 'content', t.content) ORDER BY t.sequence) AS turns
       FROM conversations c JOIN conversation_turns t ON t.conversation_id = c.id
      WHERE c.batch_id = $1 GROUP BY c.id ORDER BY c.item_id`,
    [batchId],
  );
  return rows;
}

describe('prompt templates', () => {
  it('refuse at creation an item without a value for a variable, naming the item and the variable', async () => {
    const refused = await alice.call<{ error: { code: string; message: string } }>(
      'POST',
      '/api/v1/batches',
      {
        items: [
          { id: 'has-both', topic: 'tides', parameters: { tone: 'dry', audience: 'kids' } },
          { id: 'no-tone', topic: 'waves', parameters: { audience: 'kids' } },
        ],
        config: TEMPLATES,
      },
    );
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain(
      'item no-tone has no value for {{parameters.tone}} used in userPromptTemplate',
    );

    const pending = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: [{ id: 'first', topic: 'tides', parameters: { tone: 'dry', audience: 'kids' } }],
      config: TEMPLATES,
      autoStart: false,
    });
    expect(pending.status).toBe(201);
    const added = await alice.call<{ error: { message: string } }>(
      'POST',
      `/api/v1/batches/${pending.body.batch_id}/items`,
      { items: [{ id: 'later', topic: 'surf', parameters: { tone: 'warm' } }] },
    );
    expect(added.status).toBe(422);
    expect(added.body.error.message).toContain(
      'item later has no value for {{parameters.audience}} used in systemPrompt',
    );
  });

  it('refuse a template that does not parse, or uses partials', async () => {
    const refused = await alice.call<{ error: { details: { field: string; message: string }[] } }>(
      'POST',
      '/api/v1/batches',
      {
        items: [{ id: 'a', topic: 't' }],
        config: { userPromptTemplate: 'About {{#topic}}', systemPrompt: '{{> file}}' },
      },
    );
    expect(refused.status).toBe(422);
    expect(refused.body.error.details).toEqual(
      expect.arrayContaining([
        { field: 'config.userPromptTemplate', message: expect.stringContaining('Unclosed section "topic"') },
        { field: 'config.systemPrompt', message: 'partials ({{> file}}) are not supported' },
      ]),
    );
  });
});

describe('a templated batch exported in every format', () => {
  const items = [
    { id: 'item-a', topic: 'tides', parameters: { tone: 'playful', audience: 'kids' } },
    { id: 'item-b', topic: 'orbits', parameters: { tone: 'dry', audience: 'engineers' } },
    { id: 'item-c', topic: 'volcanoes', parameters: { tone: 'calm', audience: 'tourists' } },
    { id: 'item-d', topic: 'broken', parameters: { tone: 'x', audience: 'y', simulateError: 'permanent' } },
  ];
  let batchId: string;
  let conversations: StoredConversation[];

  beforeAll(async () => {
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', { items, config: TEMPLATES });
    expect(created.status).toBe(201);
    batchId = created.body.batch_id;
    await platform.watcher.until(ended(batchId));
    // Read-your-writes: the view answers once the batch's events are projected.
    expect((await alice.call<BatchView>('GET', `/api/v1/batches/${batchId}`)).body).toMatchObject({
      processed_count: 3,
      failed_count: 1,
    });
    conversations = await stored(batchId);
    expect(conversations.map((conversation) => conversation.item_id)).toEqual(['item-a', 'item-b', 'item-c']);
  });

  it('rendered the system prompt and the user prompt of each item from its parameters', () => {
    expect(conversations[0]!.turns.slice(0, 2)).toEqual([
      { role: 'system', content: 'You teach kids.' },
      { role: 'user', content: 'Explain tides in a playful tone.' },
    ]);
    expect(conversations[1]!.turns[1]).toEqual({ role: 'user', content: 'Explain orbits in a dry tone.' });
  });

  it('jsonl (the default) holds the stored conversations', async () => {
    const file = await download(batchId, '');
    expect(file.type).toContain('application/x-ndjson');
    expect(jsonLinesOf(file.bytes)).toEqual(
      conversations.map((conversation) => ({
        ...conversation,
        created_at: conversation.created_at.toISOString(),
      })),
    );
  });

  it("openai: one {messages} line per conversation, as OpenAI's chat fine-tuning reads it", async () => {
    const file = await download(batchId, 'format=openai');
    expect(jsonLinesOf(file.bytes)).toEqual(
      conversations.map((conversation) => ({ messages: conversation.turns })),
    );
  });

  it('sharegpt: {conversations: [{from, value}]} with system, human and gpt', async () => {
    const lines = jsonLinesOf((await download(batchId, 'format=sharegpt')).bytes);
    const FROM: Record<string, string> = { system: 'system', user: 'human', assistant: 'gpt' };
    expect(lines).toEqual(
      conversations.map((conversation) => ({
        conversations: conversation.turns.map((turn) => ({ from: FROM[turn.role], value: turn.content })),
      })),
    );
  });

  it('parquet: every row read back by DuckDB equals the stored conversation', async () => {
    const file = await download(batchId, 'format=parquet');
    expect(file.type).toBe('application/vnd.apache.parquet');
    expect(file.bytes.subarray(0, 4).toString()).toBe('PAR1');
    const rows = await parquetRows(file.bytes);
    expect(rows).toEqual(
      conversations.map((conversation) => ({
        item_id: conversation.item_id,
        conversation_id: conversation.conversation_id,
        topic: conversation.topic,
        persona: conversation.persona,
        messages: conversation.turns,
        prompt_tokens: null,
        completion_tokens: null,
        created_at: expect.any(String),
        created_ms: String(conversation.created_at.getTime()),
      })),
    );
  });

  it('only=all lists every item with its status and error, in jsonl and parquet', async () => {
    const lines = jsonLinesOf((await download(batchId, 'only=all')).bytes);
    expect(lines.map((line) => [line.item_id, line.status])).toEqual([
      ['item-a', 'completed'],
      ['item-b', 'completed'],
      ['item-c', 'completed'],
      ['item-d', 'failed'],
    ]);
    expect(lines[3]).toMatchObject({
      conversation_id: null,
      turns: [],
      error: { code: 'simulated_permanent' },
    });
    const rows = await parquetRows((await download(batchId, 'format=parquet&only=all')).bytes);
    expect(rows.map((row) => [row.item_id, row.status, row.error_code, row.conversation_id])).toEqual([
      ['item-a', 'completed', null, conversations[0]!.conversation_id],
      ['item-b', 'completed', null, conversations[1]!.conversation_id],
      ['item-c', 'completed', null, conversations[2]!.conversation_id],
      ['item-d', 'failed', 'simulated_permanent', null],
    ]);
  });

  it("include_metadata adds each item's parameters", async () => {
    const openai = jsonLinesOf((await download(batchId, 'format=openai&include_metadata=true')).bytes);
    expect(openai[1]).toMatchObject({
      metadata: { item_id: 'item-b', topic: 'orbits', parameters: items[1]!.parameters, finish_reason: null },
    });
    const rows = await parquetRows((await download(batchId, 'format=parquet&include_metadata=true')).bytes);
    expect(rows.map((row) => JSON.parse(row.parameters as string))).toEqual(
      items.slice(0, 3).map((item) => item.parameters),
    );
  });

  it('refuses options that do not fit (422), and another user sees no batch (404)', async () => {
    const openaiAll = await download(batchId, 'format=openai&only=all');
    expect(openaiAll.status).toBe(422);
    expect(openaiAll.bytes.toString()).toContain('only=all needs format jsonl or parquet');
    expect((await download(batchId, 'format=xml')).status).toBe(422);
    const bob = await platform.as('bob');
    expect((await bob.call('GET', `/api/v1/batches/${batchId}/results?format=parquet`)).status).toBe(404);
  });
});
