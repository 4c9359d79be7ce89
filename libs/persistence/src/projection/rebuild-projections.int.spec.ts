import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  appendInCommits,
  command,
  completedOutcome,
  createBatch,
  failedOutcome,
  itemsOf,
  projectionRows,
  spawnEntryPoint,
  storedCheckpoint,
  testPersistence,
  type TestPersistence,
} from '../persistence.spec-helpers.js';
import { createBatchProjector } from './batch.projector.js';
import { rebuildProjections } from './rebuild-projections.js';

let env: TestPersistence;
let incremental: Awaited<ReturnType<typeof projectionRows>>;

const at = (minute: number) => `2026-11-23T13:${String(minute).padStart(2, '0')}:00.000Z`;

/** Batches in every state, projected step by step as the events arrive. */
beforeAll(async () => {
  env = await testPersistence();
  const projector = createBatchProjector({
    ds: env.ds,
    nc: env.nats.nc,
    names: env.nats.names,
    batchSize: 7,
  });
  await projector.start();
  const step = async (batchId: string, ...commands: Parameters<typeof command>[]) => {
    for (const args of commands) await env.aggregates.handle(batchId, command(...args));
    await projector.caughtUp(await env.lastSeq());
  };
  const outcomes = async (batchId: string, count: number, attempt = 1) => {
    await appendInCommits(
      env.events,
      batchId,
      itemsOf(count).map(({ id }, index) =>
        index % 4 === 0
          ? failedOutcome(batchId, id, attempt, at(5))
          : completedOutcome(batchId, id, attempt, at(5)),
      ),
      25,
    );
    await projector.caughtUp(await env.lastSeq());
  };

  await env.aggregates.handle('done', createBatch('done', itemsOf(120), { now: at(0) }));
  await outcomes('done', 120);
  await step('done', ['RetryFailedItems', {}, at(6)]);
  await outcomes('done', 120, 2);
  await step('done', ['CompleteBatch', {}, at(7)]);

  await env.aggregates.handle('paused', createBatch('paused', itemsOf(50), { now: at(1), userId: 'user-2' }));
  await outcomes('paused', 20);
  await step(
    'paused',
    ['PauseBatch', { reason: 'quota' }, at(8)],
    ['ResumeBatch', { configOverrides: { model: 'm9' } }, at(9)],
    ['PauseBatch', { reason: 'again' }, at(10)],
  );

  await env.aggregates.handle('cancelled', createBatch('cancelled', itemsOf(30), { now: at(2) }));
  await step('cancelled', ['CancelBatch', {}, at(11)]);

  await env.aggregates.handle('gone', createBatch('gone', itemsOf(10), { now: at(3), autoStart: false }));
  await step('gone', ['DiscardBatch', {}, at(12)]);

  await env.aggregates.handle(
    'growing',
    createBatch('growing', itemsOf(5, 'a'), { now: at(4), autoStart: false, totalItems: 9 }),
  );
  await step('growing', ['AddItems', { items: itemsOf(4, 'b') }, at(13)], ['StartBatch', {}, at(14)]);

  await projector.stop();
  await env.ds.query(
    `INSERT INTO conversations VALUES ('conversation-of-gone', 'gone', 'item-0', 'user-1', 't', 'p', 'c', now())`,
  );
  incremental = await projectionRows(env.ds);
});
afterAll(() => env.close());

describe('rebuilding the projections', () => {
  it('replays the log into the same rows the projection made incrementally', async () => {
    expect(incremental.batches.map((batch: { batch_id: string }) => batch.batch_id)).toEqual([
      'cancelled',
      'done',
      'growing',
      'paused',
    ]);
    await env.ds.query(`UPDATE batches SET processed_count = 0, status = 'running'`);
    await env.ds.query(`DELETE FROM batch_items WHERE batch_id = 'done'`);

    const rebuilt = await rebuildProjections({ ds: env.ds, nc: env.nats.nc, names: env.nats.names });
    const lastSeq = await env.lastSeq();
    expect(rebuilt.lastSeq).toBe(lastSeq);
    expect(await storedCheckpoint(env.ds)).toBe(lastSeq);
    expect(await projectionRows(env.ds)).toEqual(incremental);
    expect(await env.ds.query(`SELECT id FROM conversations`)).toEqual([{ id: 'conversation-of-gone' }]);
  });

  it('rebuilds through its entry point, as `npm run projections:rebuild` runs it', async () => {
    await env.ds.query(`TRUNCATE batch_items`);
    const child = spawnEntryPoint(new URL('../rebuild-projections.main.ts', import.meta.url), {
      DATABASE_SCHEMA: env.db.schema,
      NATS_NAMESPACE: env.nats.namespace,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect({ code, output }).toEqual({
      code: 0,
      output: expect.stringContaining(
        `rebuilt batches and batch_items up to sequence ${await env.lastSeq()}`,
      ),
    });
    expect(await projectionRows(env.ds)).toEqual(incremental);
  });

  it('returns even when the last messages of the stream were purged', async () => {
    await env.aggregates.handle('purged', createBatch('purged', itemsOf(3)));
    await env.events.purge('purged');
    const rebuilt = await rebuildProjections({ ds: env.ds, nc: env.nats.nc, names: env.nats.names });
    expect(rebuilt.lastSeq).toBe(await env.lastSeq());
    expect(await projectionRows(env.ds)).toEqual(incremental);
  });
});
