import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ValidationError } from '@batch/contracts';
import {
  appendInCommits,
  command,
  completedOutcome,
  createBatch,
  failedOutcome,
  itemsOf,
  testPersistence,
  type TestPersistence,
} from '../persistence.spec-helpers.js';
import { createBatchProjector } from '../projection/batch.projector.js';
import { listItems } from './batch-items.queries.js';
import {
  deleteBatchRows,
  endedBatchIds,
  getBatchView,
  incompleteBatchViews,
  listBatchViews,
  runningBatchIds,
} from './batch.queries.js';
import type { BatchView, Page } from './batch-views.js';

let env: TestPersistence;

const day = (date: number, hour = 10) => `2026-11-${String(date).padStart(2, '0')}T${hour}:00:00.000Z`;

/**
 * user-1: b1 (Nov 1, completed Nov 2), b2 (Nov 3, cancelled Nov 4), b3 and b3-twin (both Nov 5,
 * running), b4 (Nov 6, paused), b5 (Nov 7, pending). user-2: other (Nov 8, completed Nov 9).
 */
beforeAll(async () => {
  env = await testPersistence();
  const projector = createBatchProjector({ ds: env.ds, nc: env.nats.nc, names: env.nats.names });
  await projector.start();
  const create = (batchId: string, date: number, options: { userId?: string; autoStart?: boolean } = {}) =>
    env.aggregates.handle(batchId, createBatch(batchId, itemsOf(10), { now: day(date), ...options }));
  const settleAll = (batchId: string) =>
    appendInCommits(
      env.events,
      batchId,
      itemsOf(10).map(({ id }, index) =>
        index < 3 ? failedOutcome(batchId, id) : completedOutcome(batchId, id),
      ),
      10,
    );

  await create('b1', 1);
  await settleAll('b1');
  await env.aggregates.handle('b1', command('CompleteBatch', {}, day(2)));
  await create('b2', 3);
  await env.aggregates.handle('b2', command('CancelBatch', {}, day(4)));
  await create('b3', 5);
  await create('b3-twin', 5);
  await create('b4', 6);
  await env.aggregates.handle('b4', command('PauseBatch', { reason: 'later' }, day(6, 11)));
  await create('b5', 7, { autoStart: false });
  await create('other', 8, { userId: 'user-2' });
  await settleAll('other');
  await env.aggregates.handle('other', command('CompleteBatch', {}, day(9)));
  await projector.caughtUp(await env.lastSeq());
  await projector.stop();
});
afterAll(() => env.close());

const ids = (views: BatchView[]) => views.map((view) => view.batch_id);

async function allPages<T>(next: (cursor?: string) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await next(cursor);
    pages.push(page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return pages;
}

describe('the batch queries', () => {
  it("answers a user's own batch and no one else's", async () => {
    expect(await getBatchView(env.ds, 'user-1', 'b1')).toMatchObject({
      batch_id: 'b1',
      status: 'completed',
      total_items: 10,
      processed_count: 7,
      failed_count: 3,
      pending_count: 0,
      progress_percent: 100,
      created_at: day(1),
      completed_at: day(2),
    });
    expect(await getBatchView(env.ds, 'user-2', 'b1')).toBeUndefined();
    expect(await getBatchView(env.ds, 'user-1', 'nowhere')).toBeUndefined();
  });

  it("lists a user's batches newest first, page by page, each exactly once", async () => {
    const pages = await allPages((cursor) => listBatchViews(env.ds, { userId: 'user-1', cursor, limit: 2 }));
    expect(pages.map(ids)).toEqual([
      ['b5', 'b4'],
      ['b3-twin', 'b3'],
      ['b2', 'b1'],
    ]);
    const whole = await listBatchViews(env.ds, { userId: 'user-1' });
    expect(ids(whole.items)).toEqual(['b5', 'b4', 'b3-twin', 'b3', 'b2', 'b1']);
    expect(whole.next_cursor).toBeNull();
    expect(ids((await listBatchViews(env.ds, { userId: 'user-2' })).items)).toEqual(['other']);
  });

  it('filters the list by status', async () => {
    const pages = await allPages((cursor) =>
      listBatchViews(env.ds, { userId: 'user-1', status: 'running', cursor, limit: 1 }),
    );
    expect(pages.map(ids)).toEqual([['b3-twin'], ['b3']]);
    expect(ids((await listBatchViews(env.ds, { userId: 'user-1', status: 'completed' })).items)).toEqual([
      'b1',
    ]);
  });

  it('refuses a cursor it did not make', async () => {
    await expect(listBatchViews(env.ds, { userId: 'user-1', cursor: 'bogus' })).rejects.toThrow(
      ValidationError,
    );
    await expect(listItems(env.ds, { userId: 'user-1', batchId: 'b1', cursor: 'bogus' })).rejects.toThrow(
      ValidationError,
    );
  });

  it('lists the batches that have not ended, for the resume dialog', async () => {
    expect(ids(await incompleteBatchViews(env.ds, 'user-1'))).toEqual(['b5', 'b4', 'b3-twin', 'b3']);
    expect(await incompleteBatchViews(env.ds, 'user-2')).toEqual([]);
  });

  it("lists a batch's items in order, by status, page by page; not another user's", async () => {
    const pages = await allPages(
      async (cursor) => (await listItems(env.ds, { userId: 'user-1', batchId: 'b1', cursor, limit: 4 }))!,
    );
    expect(pages.map((page) => page.map((item) => item.position))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const failed = await allPages(
      async (cursor) =>
        (await listItems(env.ds, { userId: 'user-1', batchId: 'b1', status: 'failed', cursor, limit: 2 }))!,
    );
    expect(failed.map((page) => page.map((item) => item.item_id))).toEqual([
      ['item-0', 'item-1'],
      ['item-2'],
    ]);
    expect(failed[0]![0]).toMatchObject({
      status: 'failed',
      error: { code: 'provider_error' },
      conversation_id: null,
    });
    expect(await listItems(env.ds, { userId: 'user-2', batchId: 'b1' })).toBeUndefined();
    expect(await listItems(env.ds, { userId: 'user-1', batchId: 'nowhere' })).toBeUndefined();
  });

  it('finds the running batches, for recovery', async () => {
    expect((await runningBatchIds(env.ds)).sort()).toEqual(['b3', 'b3-twin']);
    expect(await runningBatchIds(env.ds, 'user-2')).toEqual([]);
  });

  it('finds the batches that ended before a date, for cleanup', async () => {
    expect(await endedBatchIds(env.ds, { olderThan: new Date(day(30)) })).toEqual(['b1', 'b2', 'other']);
    expect(await endedBatchIds(env.ds, { olderThan: new Date(day(4)) })).toEqual(['b1']);
    expect(await endedBatchIds(env.ds, { olderThan: new Date(day(30)), userId: 'user-2' })).toEqual([
      'other',
    ]);
  });

  it('deletes batches and their items, and nothing else', async () => {
    expect(await deleteBatchRows(env.ds, ['b2', 'other', 'nowhere'])).toBe(2);
    expect(await deleteBatchRows(env.ds, [])).toBe(0);
    expect(await getBatchView(env.ds, 'user-1', 'b2')).toBeUndefined();
    const remaining = await env.ds.query(`SELECT DISTINCT batch_id FROM batch_items ORDER BY batch_id`);
    expect(remaining.map((row: { batch_id: string }) => row.batch_id)).toEqual([
      'b1',
      'b3',
      'b3-twin',
      'b4',
      'b5',
    ]);
  });
});
