import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { RestoreProgress } from '@batch/contracts';
import type { OpenBackup } from './backup-records.js';
import { restoreProgressStore } from './restore-progress.js';
import { prepareRestore, type RestoreOptions } from './restorer.js';
import {
  backupOf,
  conversation,
  emptyTables,
  migratedDatabase,
  storeConversation,
  tableDump,
  turn,
  v1Backup,
} from './restore.spec-helpers.js';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let ds: DataSource;
let restores = 0;

beforeAll(async () => {
  db = await migratedDatabase();
  ds = db.ds;
});
afterAll(() => db.close());
beforeEach(() => emptyTables(ds));

const USER = 'user-a';
const OTHER = 'user-b';

const prepare = (open: OpenBackup, options: Partial<RestoreOptions> = {}) =>
  prepareRestore({
    ds,
    open,
    userId: USER,
    restoreId: `restore-${Date.now()}-test${(restores += 1)}`,
    source: { uploadKey: 'uploads/test.json' },
    batchSize: 2,
    ...options,
  });

const restore = async (open: OpenBackup, options: Partial<RestoreOptions> = {}) =>
  (await prepare(open, options)).run();

const backup = v1Backup([
  conversation('c1', [turn('c1-t0', 0), turn('c1-t1', 1), turn('c1-t2', 2)]),
  conversation('c2', [turn('c2-t0', 0)], { topic: undefined, batch_id: undefined, item_id: undefined }),
  conversation('c3', [], { user_id: 'someone-else', turn_count: 0 }),
]);

const restoredRows = {
  conversations: [
    {
      id: 'c1',
      batch_id: 'batch-1',
      item_id: 'item-c1',
      user_id: USER,
      topic: 'topic of c1',
      persona: 'Expert',
      content: 'content of c1',
      created_at: '2025-11-04T10:00:00.123456Z',
    },
    {
      id: 'c2',
      batch_id: 'restored',
      item_id: 'c2',
      user_id: USER,
      topic: '',
      persona: 'Expert',
      content: 'content of c2',
      created_at: '2025-11-04T10:00:00.123456Z',
    },
    expect.objectContaining({ id: 'c3', user_id: USER, batch_id: 'batch-1', item_id: 'item-c3' }),
  ],
  conversation_turns: [
    { id: 'c1-t0', conversation_id: 'c1', role: 'user', content: 'content of c1-t0', sequence: 0 },
    { id: 'c1-t1', conversation_id: 'c1', role: 'assistant', content: 'content of c1-t1', sequence: 1 },
    { id: 'c1-t2', conversation_id: 'c1', role: 'user', content: 'content of c1-t2', sequence: 2 },
    { id: 'c2-t0', conversation_id: 'c2', role: 'user', content: 'content of c2-t0', sequence: 0 },
  ],
};

/** The same rows as `backup`, as seed 003's tables: the turns first. */
const seed003Tables = {
  metadata: { createdAt: '2025-11-04T10:00:00.000Z' },
  conversation_turns: [
    { ...turn('c2-t0', 0), conversation_id: 'c2' },
    { ...turn('c1-t0', 0), conversation_id: 'c1' },
    { ...turn('c1-t1', 1), conversation_id: 'c1' },
    { ...turn('c1-t2', 2), conversation_id: 'c1' },
  ],
  conversations: [
    conversation('c1', []),
    conversation('c2', [], { topic: undefined, batch_id: undefined, item_id: undefined }),
    conversation('c3', []),
  ].map(({ conversation_turns: _turns, ...fields }) => fields),
};

describe('restoring a v1.0 backup', () => {
  it('creates exactly its rows, as the restoring user', async () => {
    const result = await restore(backupOf(backup));

    expect(result).toEqual({
      success: true,
      progressId: expect.stringMatching(/^restore-/),
      processed: 7,
      errors: [],
      results: { conversations: { processed: 3, total: 3 }, conversation_turns: { processed: 4, total: 4 } },
    });
    expect(await tableDump(ds)).toEqual(restoredRows);
  });

  it('gives the same rows when restored twice, a missing created_at included', async () => {
    const withoutTime = v1Backup([
      ...backup.conversations,
      conversation('c4', [], { created_at: undefined }),
    ]);
    await restore(backupOf(withoutTime));
    const once = await tableDump(ds);
    const again = await restore(backupOf(withoutTime, { chunkBytes: 1000 }), { batchSize: 100 });

    expect(again.success).toBe(true);
    expect(await tableDump(ds)).toEqual(once);
    expect(once.conversations).toHaveLength(4);
  });

  it('restores a gzip backup, as the backups are stored', async () => {
    await restore(backupOf(backup, { gzip: true }));
    expect(await tableDump(ds)).toEqual(restoredRows);
  });
});

describe('records that cannot be restored', () => {
  it('are reported one by one while the rest is restored', async () => {
    await storeConversation(ds, OTHER, 'theirs', ['their-turn']);
    await storeConversation(ds, OTHER, 'their-item');
    const before = await tableDump(ds);
    const file = v1Backup([
      conversation('c1', [turn('c1-t0', 0), turn('c1-t1', 1.5), turn('c1-t2', 2, { content: 42 })]),
      conversation('theirs', [turn('theirs-t0', 0)], { content: 'overwritten?' }),
      { content: 'no id', persona: 'Expert', conversation_turns: [turn('orphan', 0)] },
      conversation('c2', [turn('their-turn', 0), turn('c2-t1', 1), turn('c2-t1-again', 1), turn('', 2)]),
      conversation('c3', [], { persona: null }),
      conversation('c4', [], { batch_id: 'their-batch', item_id: 'their-item' }),
      conversation('c5', [], { created_at: 'yesterday' }),
      conversation('c6', [], { conversation_turns: 'none' }),
    ]);

    const result = await restore(backupOf(file));

    expect(result.success).toBe(false);
    // In the order they were written: each chunk of conversations, then their turns.
    expect(result.errors).toEqual([
      'conversations:theirs - conversation id is taken',
      'conversation_turns:c1-t1 - sequence: Invalid input: expected int, received number',
      'conversation_turns:c1-t2 - content: Invalid input: expected string, received number',
      'conversation_turns:theirs-t0 - conversation theirs not found',
      'conversations:#3 - missing id',
      'conversation_turns:orphan - conversation_id: Invalid input: expected string, received undefined',
      'conversation_turns:their-turn - turn id is taken',
      'conversation_turns:c2-t1-again - another turn of the conversation has this sequence',
      'conversation_turns:#9 - missing id',
      'conversations:c3 - persona: Invalid input: expected string, received null',
      'conversations:c4 - batch_id and item_id are those of another conversation',
      'conversations:c5 - created_at: Invalid ISO datetime',
      'conversations:c6 - conversation_turns: Invalid input: expected array, received string',
    ]);
    expect(result.results).toEqual({
      conversations: { processed: 8, total: 8 },
      conversation_turns: { processed: 9, total: 9 },
    });

    const after = await tableDump(ds);
    expect(after.conversations.map((row: { id: string }) => row.id)).toEqual([
      'c1',
      'c2',
      'their-item',
      'theirs',
    ]);
    expect(after.conversations.filter((row: { user_id: string }) => row.user_id === OTHER)).toEqual(
      before.conversations,
    );
    expect(after.conversation_turns.map((row: { id: string }) => row.id)).toEqual([
      'c1-t0',
      'c2-t1',
      'their-turn',
    ]);
    expect(after.conversation_turns.find((row: { id: string }) => row.id === 'their-turn')).toEqual(
      before.conversation_turns[0],
    );
  });
});

describe('a file that names a record twice', () => {
  it('restores it once, even from chunks in flight together that name the same ids', async () => {
    const swapped = (index: number) =>
      index % 2 === 0 ? [conversation('a'), conversation('b')] : [conversation('b'), conversation('a')];
    const file = v1Backup(Array.from({ length: 40 }, (_, index) => swapped(index)).flat());

    const result = await restore(backupOf(file), { connectionCount: 4 });

    expect(result).toMatchObject({ success: true, processed: 80 });
    expect((await tableDump(ds)).conversations).toHaveLength(2);
  });
});

describe('restoring seed 003 tables', () => {
  const tables = seed003Tables;

  it('restores turns listed before their conversations', async () => {
    const result = await restore(backupOf(tables));
    expect(result.errors).toEqual([]);
    expect(await tableDump(ds)).toEqual(restoredRows);
  });

  it('restores them inside the {backupData} wrapper', async () => {
    const result = await restore(backupOf({ backupData: tables }));
    expect(result.success).toBe(true);
    expect(await tableDump(ds)).toEqual(restoredRows);
  });
});

describe('a file that is not a backup', () => {
  it('is refused before anything is written or any progress exists', async () => {
    await expect(prepare(backupOf(v1Backup([conversation('c1'), 'x']).conversations))).rejects.toMatchObject({
      name: 'BackupFormatError',
      message: 'the backup is not a JSON object',
    });
    const brokenAtTheEnd = JSON.stringify(backup).replace(/\]\}$/, '],}');
    await expect(prepare(backupOf(brokenAtTheEnd))).rejects.toThrow(/not valid JSON at byte/);

    expect(await ds.query(`SELECT * FROM restores`)).toEqual([]);
    expect(await tableDump(ds)).toEqual({ conversations: [], conversation_turns: [] });
  });
});

describe('progress', () => {
  it('is readable from the start, then goes through the tables to completed with exact counts', async () => {
    const seen: RestoreProgress[] = [];
    const prepared = await prepare(backupOf(backup), {
      progressIntervalMs: 0,
      onProgress: (p) => seen.push(p),
    });
    const store = restoreProgressStore(ds);

    expect(await store.get(USER, prepared.restoreId)).toMatchObject({
      model: 'starting',
      processed: 0,
      total: 7,
      counts: { conversations: { processed: 0, total: 3 }, conversation_turns: { processed: 0, total: 4 } },
      recordId: null,
      errors: [],
    });
    await prepared.run();

    expect(
      seen.map(({ model, counts, recordId }) => [
        model,
        counts.conversations!.processed,
        counts.conversation_turns!.processed,
        recordId,
      ]),
    ).toEqual([
      ['conversations', 0, 0, null],
      // One read: each chunk of conversations, then their turns.
      ['conversations', 2, 0, 'c2'],
      ['conversation_turns', 2, 2, 'c1-t1'],
      ['conversation_turns', 2, 4, 'c2-t0'],
      ['conversations', 3, 4, 'c3'],
      ['completed', 3, 4, 'c3'],
    ]);
    const last = await store.get(USER, prepared.restoreId);
    expect(last).toEqual(seen.at(-1));
    expect(last).toMatchObject({ model: 'completed', processed: 7, total: 7, errors: [] });
    expect(await store.get(OTHER, prepared.restoreId)).toBeUndefined();
    const [{ ttl }] = await ds.query(`SELECT extract(epoch FROM expires_at - now()) AS ttl FROM restores`);
    expect(Number(ttl)).toBeGreaterThan(3_500);
    expect(Number(ttl)).toBeLessThanOrEqual(3_600);
  });

  it("goes through seed 003's tables one after the other, turns listed first", async () => {
    const seen: RestoreProgress[] = [];
    await restore(backupOf(seed003Tables), { progressIntervalMs: 0, onProgress: (p) => seen.push(p) });

    expect(
      seen.map(({ model, counts, recordId }) => [
        model,
        counts.conversations!.processed,
        counts.conversation_turns!.processed,
        recordId,
      ]),
    ).toEqual([
      ['conversations', 0, 0, null],
      ['conversations', 2, 0, 'c2'],
      ['conversations', 3, 0, 'c3'],
      ['conversation_turns', 3, 0, 'c3'],
      ['conversation_turns', 3, 2, 'c1-t0'],
      ['conversation_turns', 3, 4, 'c1-t2'],
      ['completed', 3, 4, 'c1-t2'],
    ]);
    expect(await tableDump(ds)).toEqual(restoredRows);
  });

  it("ends in error, with why, when PostgreSQL drops the restore's connections", async () => {
    // A thousand chunks: far more than are written while the connections are being dropped.
    const manyChunks = v1Backup(Array.from({ length: 2_000 }, (_, index) => conversation(`c${index}`)));
    const prepared = await prepare(backupOf(manyChunks), {
      progressIntervalMs: 0,
      onProgress: ({ model, processed }) => {
        if (model === 'conversations' && processed === 2)
          void ds
            .query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
              prepared.restoreId,
            ])
            .catch(() => undefined);
      },
    });

    await expect(prepared.run()).rejects.toThrow(/terminat|connection/);
    const progress = await restoreProgressStore(ds).get(USER, prepared.restoreId);
    expect(progress).toMatchObject({
      model: 'error',
      errors: [expect.stringMatching(/^restore failed: .*(terminat|connection)/)],
    });
    expect(progress!.processed).toBeLessThan(2_000);
  });

  it('ends in error, with why, when the restore cannot go on', async () => {
    const seen: RestoreProgress[] = [];
    // A clock that stands still: no progress is written before the end.
    const at = new Date();
    const prepared = await prepare(backupOf(backup), { now: () => at, onProgress: (p) => seen.push(p) });
    await ds.query(`ALTER TABLE conversation_turns RENAME TO conversation_turns_away`);
    try {
      await expect(prepared.run()).rejects.toThrow(/conversation_turns/);
    } finally {
      await ds.query(`ALTER TABLE conversation_turns_away RENAME TO conversation_turns`);
    }

    const progress = await restoreProgressStore(ds).get(USER, prepared.restoreId);
    expect(progress).toMatchObject({
      model: 'error',
      // The first chunk of conversations, then its turns failed: nothing after them was written.
      counts: { conversations: { processed: 2, total: 3 }, conversation_turns: { processed: 0, total: 4 } },
      errors: ['restore failed: relation "conversation_turns" does not exist'],
    });
    expect(seen).toEqual([progress]);
  });
});
