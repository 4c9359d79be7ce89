import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { progressOf } from '@batch/batch-domain';
import {
  appendInCommits,
  command,
  completedOutcome,
  createBatch,
  domainItems,
  domainState,
  failedOutcome,
  itemsOf,
  projectedItems,
  providerError,
  storedCheckpoint,
  testPersistence,
  type TestPersistence,
} from '../persistence.spec-helpers.js';
import { getBatchView } from '../queries/batch.queries.js';
import { listItems } from '../queries/batch-items.queries.js';
import { createBatchProjector, type BatchProjector } from './batch.projector.js';
import { SETTLE_ITEMS, settleParameters } from './item-events.statements.js';

let env: TestPersistence;
let projector: BatchProjector;

beforeAll(async () => {
  env = await testPersistence();
  projector = createBatchProjector({ ds: env.ds, nc: env.nats.nc, names: env.nats.names });
  await projector.start();
});
afterAll(async () => {
  await projector.stop();
  await env.close();
});

const caughtUp = async () => projector.caughtUp(await env.lastSeq());
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, offset) => from + offset);
const view = (batchId: string, userId = 'user-1') => getBatchView(env.ds, userId, batchId);

describe('the batch projection', () => {
  it('settles the outcomes of a large batch just started through the primary key: its start analyzed the items', async () => {
    const batchId = 'fresh-and-large';
    await env.aggregates.handle(batchId, createBatch(batchId, itemsOf(5_000)));
    await caughtUp();
    const plan = (await env.ds.query(
      `EXPLAIN ${SETTLE_ITEMS}`,
      settleParameters([completedOutcome(batchId, 'item-4999')]),
    )) as { 'QUERY PLAN': string }[];
    const lines = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(lines).toContain('batch_items_pkey');
    expect(lines).not.toContain('batch_items_status_position_idx');
  });

  it('counts 2,000 items with duplicate, stale and requeued outcomes exactly as the domain does', async () => {
    const batchId = 'counts';
    await env.aggregates.handle(batchId, createBatch(batchId, itemsOf(2_000)));
    const item = (index: number) => `item-${index}`;
    // First attempt: 1,500 complete, 300 fail.
    await appendInCommits(
      env.events,
      batchId,
      [
        ...range(0, 1_500).map((index) => completedOutcome(batchId, item(index))),
        ...range(1_500, 1_800).map((index) => failedOutcome(batchId, item(index))),
      ],
      1_000,
    );
    // Duplicates and conflicting or future outcomes, in commits of their own: all ignored.
    await appendInCommits(
      env.events,
      batchId,
      [
        ...range(0, 100).map((index) => completedOutcome(batchId, item(index))),
        ...range(0, 50).map((index) => failedOutcome(batchId, item(index))),
        ...range(1_500, 1_550).map((index) => completedOutcome(batchId, item(index))),
        ...range(1_800, 1_810).map((index) => completedOutcome(batchId, item(index), 2)),
      ],
      70,
    );
    await env.aggregates.handle(batchId, command('RetryFailedItems', {}));
    // Outcomes of the first attempt arriving after the requeue are stale; the second attempt counts.
    await appendInCommits(
      env.events,
      batchId,
      [
        ...range(1_500, 1_550).map((index) => completedOutcome(batchId, item(index), 1)),
        ...range(1_500, 1_700).map((index) => completedOutcome(batchId, item(index), 2)),
        ...range(1_700, 1_750).map((index) => failedOutcome(batchId, item(index), 2)),
        ...range(1_600, 1_700).map((index) => failedOutcome(batchId, item(index), 2)),
      ],
      120,
    );
    await caughtUp();

    const domain = await domainState(env.events, batchId);
    const progress = progressOf(domain);
    expect(progress).toEqual({ total: 2_000, completed: 1_700, failed: 50, pending: 250, percent: 87.5 });
    expect(await view(batchId)).toMatchObject({
      status: domain.status,
      total_items: progress.total,
      processed_count: progress.completed,
      failed_count: progress.failed,
      pending_count: progress.pending,
      progress_percent: progress.percent,
    });
    expect(await projectedItems(env.ds, batchId)).toEqual(domainItems(domain));

    const [completedOnSecondAttempt] = (await listItems(env.ds, {
      userId: 'user-1',
      batchId,
      cursor: undefined,
      limit: 2_000,
    }))!.items.filter((entry) => entry.item_id === item(1_650));
    expect(completedOnSecondAttempt).toMatchObject({
      status: 'completed',
      attempt: 2,
      conversation_id: 'conv-item-1650-2',
      error: null,
    });
  });

  it('settles an item by the first of two outcomes of one attempt in one commit', async () => {
    const batchId = 'first-wins';
    await env.aggregates.handle(batchId, createBatch(batchId, itemsOf(400)));
    const item = (index: number) => `item-${index}`;
    await env.events.append(
      batchId,
      range(0, 400).flatMap((index) =>
        index % 2 === 0
          ? [completedOutcome(batchId, item(index)), failedOutcome(batchId, item(index))]
          : [failedOutcome(batchId, item(index)), completedOutcome(batchId, item(index))],
      ),
    );
    await caughtUp();
    const domain = await domainState(env.events, batchId);
    expect(progressOf(domain)).toMatchObject({ completed: 200, failed: 200 });
    expect(await projectedItems(env.ds, batchId)).toEqual(domainItems(domain));
    expect(await view(batchId)).toMatchObject({ processed_count: 200, failed_count: 200, pending_count: 0 });
  });

  it('records each event of the lifecycle as the domain decides it', async () => {
    const batchId = 'lifecycle';
    const at = (minute: number) => `2026-11-23T11:${String(minute).padStart(2, '0')}:00.000Z`;
    await env.aggregates.handle(batchId, createBatch(batchId, itemsOf(4), { now: at(0), autoStart: false }));
    await caughtUp();
    expect(await view(batchId)).toEqual({
      batch_id: batchId,
      name: `batch ${batchId}`,
      status: 'pending',
      total_items: 4,
      processed_count: 0,
      failed_count: 0,
      pending_count: 4,
      progress_percent: 0,
      config: { provider: 'template', model: 'm1', temperature: 0.5 },
      created_at: at(0),
      started_at: null,
      paused_at: null,
      pause_reason: null,
      completed_at: null,
      prompt_tokens: 0,
      completion_tokens: 0,
      cost_usd: 0,
      last_checkpoint_at: at(0),
    });

    await env.aggregates.handle(batchId, command('StartBatch', {}, at(1)));
    await env.aggregates.handle(batchId, command('PauseBatch', { reason: 'lunch' }, at(2)));
    await caughtUp();
    expect(await view(batchId)).toMatchObject({
      status: 'paused',
      started_at: at(1),
      paused_at: at(2),
      pause_reason: 'lunch',
      last_checkpoint_at: at(2),
    });

    await env.aggregates.handle(
      batchId,
      command('ResumeBatch', { configOverrides: { model: 'm2', maxTokens: 300 } }, at(3)),
    );
    await appendInCommits(
      env.events,
      batchId,
      [
        completedOutcome(batchId, 'item-0', 1, at(4)),
        completedOutcome(batchId, 'item-1', 1, at(4)),
        failedOutcome(batchId, 'item-2', 1, at(4)),
        completedOutcome(batchId, 'item-3', 1, at(5)),
      ],
      4,
    );
    await env.aggregates.handle(batchId, command('CompleteBatch', {}, at(6)));
    await caughtUp();
    expect(await view(batchId)).toMatchObject({
      status: 'completed',
      paused_at: null,
      pause_reason: null,
      completed_at: at(6),
      processed_count: 3,
      failed_count: 1,
      pending_count: 0,
      progress_percent: 100,
      config: { provider: 'template', model: 'm2', temperature: 0.5, maxTokens: 300 },
      last_checkpoint_at: at(6),
    });
    const failedItem = (await listItems(env.ds, { userId: 'user-1', batchId, status: 'failed' }))!.items;
    expect(failedItem).toEqual([
      {
        item_id: 'item-2',
        position: 2,
        topic: 'topic 2',
        parameters: { turns: 2 },
        status: 'failed',
        attempt: 1,
        conversation_id: null,
        error: providerError,
      },
    ]);

    // Retrying the failed item reopens the completed batch.
    await env.aggregates.handle(batchId, command('RetryFailedItems', {}, at(7)));
    await caughtUp();
    expect(await view(batchId)).toMatchObject({
      status: 'running',
      completed_at: null,
      failed_count: 0,
      pending_count: 1,
      progress_percent: 75,
      last_checkpoint_at: at(7),
    });
    expect((await listItems(env.ds, { userId: 'user-1', batchId, status: 'pending' }))!.items).toMatchObject([
      { item_id: 'item-2', attempt: 2, error: null },
    ]);
    const [ended] = await env.ds.query(`SELECT ended_at FROM batches WHERE batch_id = $1`, [batchId]);
    expect(ended.ended_at).toBeNull();

    await env.aggregates.handle(batchId, command('CancelBatch', {}, at(8)));
    await caughtUp();
    expect(await view(batchId)).toMatchObject({ status: 'cancelled', last_checkpoint_at: at(8) });
    const [cancelled] = await env.ds.query(`SELECT ended_at FROM batches WHERE batch_id = $1`, [batchId]);
    expect(cancelled.ended_at.toISOString()).toBe(at(8));
  });

  it('ends a batch whose every item failed as failed', async () => {
    const batchId = 'all-failed';
    await env.aggregates.handle(batchId, createBatch(batchId, itemsOf(2)));
    await appendInCommits(
      env.events,
      batchId,
      [failedOutcome(batchId, 'item-0'), failedOutcome(batchId, 'item-1')],
      2,
    );
    await env.aggregates.handle(batchId, command('CompleteBatch', {}, '2026-11-23T12:00:00.000Z'));
    await caughtUp();
    expect(await view(batchId)).toMatchObject({
      status: 'failed',
      failed_count: 2,
      completed_at: '2026-11-23T12:00:00.000Z',
    });
  });

  it('discards a batch and its items, keeping its conversations', async () => {
    const batchId = 'discarded';
    await env.aggregates.handle(batchId, createBatch(batchId, itemsOf(3), { autoStart: false }));
    await env.ds.query(
      `INSERT INTO conversations VALUES ('kept', $1, 'item-0', 'user-1', 'topic', 'persona', 'content', now())`,
      [batchId],
    );
    await env.aggregates.handle(batchId, command('DiscardBatch', {}));
    await caughtUp();
    expect(await view(batchId)).toBeUndefined();
    expect(await projectedItems(env.ds, batchId)).toEqual([]);
    expect(await env.ds.query(`SELECT id FROM conversations WHERE batch_id = $1`, [batchId])).toEqual([
      { id: 'kept' },
    ]);
  });

  it('numbers items in their order of arrival across chunks, and ignores an id that arrives twice', async () => {
    const batchId = 'arrivals';
    const first = itemsOf(3, 'a');
    await env.aggregates.handle(batchId, createBatch(batchId, first, { autoStart: false, totalItems: 6 }));
    await caughtUp();
    expect(await view(batchId)).toMatchObject({ total_items: 6, pending_count: 6 });
    await env.aggregates.handle(batchId, command('AddItems', { items: itemsOf(2, 'b') }));
    // The domain refuses a known id in AddItems, but the log may still carry one: ignored as evolve does.
    await env.events.append(batchId, [
      {
        eventId: 'late-arrivals',
        type: 'ItemsAdded',
        batchId,
        occurredAt: '2026-11-23T10:00:00.000Z',
        schemaVersion: 1,
        data: {
          items: [
            { id: 'a-1', topic: 'again' },
            { id: 'c-0', topic: 'last' },
            { id: 'c-0', topic: 'twice' },
          ],
        },
      },
    ]);
    await caughtUp();
    const domain = await domainState(env.events, batchId);
    expect(await projectedItems(env.ds, batchId)).toEqual(domainItems(domain));
    expect((await projectedItems(env.ds, batchId)).map((row: { item_id: string }) => row.item_id)).toEqual([
      'a-0',
      'a-1',
      'a-2',
      'b-0',
      'b-1',
      'c-0',
    ]);
    const items = (await listItems(env.ds, { userId: 'user-1', batchId }))!.items;
    expect(items.find((entry) => entry.item_id === 'a-1')!.topic).toBe('topic 1');
    expect(items.find((entry) => entry.item_id === 'c-0')!.topic).toBe('last');
    expect(await view(batchId)).toMatchObject({ total_items: 6, pending_count: 6 });
  });

  it('stores the last applied sequence with the rows', async () => {
    const lastSeq = await env.lastSeq();
    await projector.caughtUp(lastSeq);
    expect(await storedCheckpoint(env.ds)).toBe(lastSeq);
  });
});
