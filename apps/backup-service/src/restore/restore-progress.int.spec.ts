import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import {
  chunkWritten,
  MAX_PROGRESS_ERRORS,
  restoreEnded,
  restoreProgressStore,
  startingProgress,
  type StoredRestoreProgress,
} from './restore-progress.js';
import { emptyTables, migratedDatabase } from './restore.spec-helpers.js';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let ds: DataSource;

beforeAll(async () => {
  db = await migratedDatabase();
  ds = db.ds;
});
afterAll(() => db.close());
beforeEach(() => emptyTables(ds));

/** A clock the test moves. */
function manualClock(start = Date.parse('2026-01-10T12:00:00.000Z')) {
  let at = start;
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
}

const counts = { conversations: 3, conversation_turns: 6 };
const source = { backupId: 'backup-1767000000000-abcdef' };
const chunk = (table: 'conversations' | 'conversation_turns', processed: number, errors: string[] = []) => ({
  table,
  processed,
  recordId: `${table}-last`,
  errors,
});

describe('a restore running', () => {
  it('writes its progress a few times a second at most, and always its end', async () => {
    const clock = manualClock();
    const written: StoredRestoreProgress[] = [];
    const store = restoreProgressStore(ds, { now: clock.now, progressIntervalMs: 250 });
    const tracker = await store.create('restore-1', 'user-a', source, counts, (p) => written.push(p));

    await tracker.startTable('conversations');
    await tracker.chunkWritten(chunk('conversations', 2));
    clock.advance(100);
    await tracker.chunkWritten(chunk('conversations', 1));
    expect(written).toEqual([]);
    expect(await store.get('user-a', 'restore-1')).toMatchObject({ model: 'starting', processed: 0 });

    clock.advance(150);
    await tracker.startTable('conversation_turns');
    expect(written.map(({ model, processed }) => [model, processed])).toEqual([['conversation_turns', 3]]);

    await tracker.chunkWritten(chunk('conversation_turns', 6, ['conversation_turns:t1 - turn id is taken']));
    const end = await tracker.complete();
    expect(written.map(({ model, processed }) => [model, processed])).toEqual([
      ['conversation_turns', 3],
      ['completed', 9],
    ]);
    expect(await store.get('user-a', 'restore-1')).toEqual(end);
    expect(end).toEqual({
      model: 'completed',
      processed: 9,
      total: 9,
      counts: { conversations: { processed: 3, total: 3 }, conversation_turns: { processed: 6, total: 6 } },
      recordId: 'conversation_turns-last',
      errors: ['conversation_turns:t1 - turn id is taken'],
      errorCount: 1,
      startedAt: '2026-01-10T12:00:00.000Z',
      updatedAt: '2026-01-10T12:00:00.250Z',
    });
  });

  it('is read only by its user, and not after it expired', async () => {
    const clock = manualClock();
    const store = restoreProgressStore(ds, { now: clock.now, progressTtlMs: 60_000 });
    const ended = await store.create('restore-ended', 'user-a', source, counts);
    await store.create('restore-running', 'user-a', source, counts);
    await ended.complete();

    expect(await store.get('user-b', 'restore-ended')).toBeUndefined();
    expect(await store.get('user-a', 'restore-unknown')).toBeUndefined();
    clock.advance(59_999);
    expect(await store.get('user-a', 'restore-ended')).toMatchObject({ model: 'completed' });
    expect(await store.deleteExpired()).toBe(0);

    clock.advance(1);
    expect(await store.get('user-a', 'restore-ended')).toBeUndefined();
    expect(await store.get('user-a', 'restore-running')).toMatchObject({ model: 'starting' });
    expect(await store.deleteExpired()).toBe(1);
    expect(await ds.query(`SELECT restore_id, source FROM restores`)).toEqual([
      { restore_id: 'restore-running', source },
    ]);
  });
});

describe('the progress of a restore', () => {
  const now = new Date('2026-01-10T12:00:00.000Z');

  it(`keeps the first ${MAX_PROGRESS_ERRORS} errors and counts them all`, () => {
    let progress = startingProgress(counts, now);
    const errors = (from: number, count: number) =>
      Array.from(
        { length: count },
        (_, index) => `conversations:c${from + index} - conversation id is taken`,
      );
    progress = chunkWritten(progress, chunk('conversations', 600, errors(0, 600)), now);
    progress = chunkWritten(progress, chunk('conversations', 600, errors(600, 600)), now);

    expect(progress.errors).toEqual(errors(0, MAX_PROGRESS_ERRORS));
    expect(progress.errorCount).toBe(1_200);
  });

  it('ends in error with why, even when its errors are full', () => {
    const full = chunkWritten(
      startingProgress(counts, now),
      chunk(
        'conversations',
        3,
        Array.from({ length: 2_000 }, () => 'conversations:c - bad'),
      ),
      now,
    );
    const failed = restoreEnded(full, now, 'restore failed: connection lost');
    expect(failed).toMatchObject({ model: 'error', errorCount: 2_001 });
    expect(failed.errors).toHaveLength(MAX_PROGRESS_ERRORS);
    expect(failed.errors.at(-1)).toBe('restore failed: connection lost');
  });
});
