import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { request } from '@batch/messaging';
import type { BatchView } from '../commands/batch-view.js';
import { itemsOf, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(120_000);

const repositoryRoot = join(import.meta.dirname, '../../../..');
const run = promisify(execFile);

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterEach(() => engine.stopAll());
afterAll(() => engine.close());

const cancelled = (batchId: string) =>
  engine.watcher.until((events) =>
    events.some((event) => event.batchId === batchId && event.type === 'BatchCancelled'),
  );

/** A batch of `userId` that ends (cancelled) before it starts. */
async function endedBatch(userId: string, batchId: string): Promise<void> {
  await engine.command('create', { userId, batchId, items: itemsOf(2), autoStart: false });
  await engine.command('cancel', { userId, batchId });
  await cancelled(batchId);
}

const cleanupOnce = async () =>
  (
    await run(process.execPath, ['apps/batch-orchestrator/dist/cleanup/cleanup-once.main.js'], {
      cwd: repositoryRoot,
      env: { ...process.env, ...engine.env({ CLEANUP_DAYS_OLD: '0' }) },
    })
  ).stdout;

const notFound = async (owner: { userId: string; batchId: string }) => {
  const reply = await request(engine.nats.nc, engine.nats.names.query('get'), owner);
  return !reply.ok && reply.error.code === 'not_found';
};

describe('scheduled cleanup (CLEANUP_SCHEDULE, CLEANUP_DAYS_OLD)', () => {
  it("removes every user's ended batches on its schedule and leaves a running one", async () => {
    const setUp = await engine.orchestrator();
    await endedBatch('carol', 'carol-ended');
    await endedBatch('dave', 'dave-ended');
    const running = { userId: 'dave', batchId: 'dave-running' };
    await engine.command('create', { ...running, items: itemsOf(2) });
    await setUp.stop();

    // Every second, so the test waits for the first run rather than for 02:00.
    const scheduled = await engine.orchestrator({ CLEANUP_SCHEDULE: '* * * * * *', CLEANUP_DAYS_OLD: '0' });
    expect(await scheduled.waitForLine('cleanup scheduled', 1_000)).toContain('"daysOld":0');
    expect(await scheduled.waitForLine('scheduled cleanup done')).toContain('"cleanedCount":2');

    expect(await notFound({ userId: 'carol', batchId: 'carol-ended' })).toBe(true);
    expect(await notFound({ userId: 'dave', batchId: 'dave-ended' })).toBe(true);
    expect((await engine.query<BatchView>('get', running)).status).toBe('running');
  });

  it('keeps batches younger than CLEANUP_DAYS_OLD', async () => {
    const setUp = await engine.orchestrator();
    const young = { userId: 'erin', batchId: 'erin-ended-today' };
    await endedBatch(young.userId, young.batchId);
    await setUp.stop();

    const scheduled = await engine.orchestrator({ CLEANUP_SCHEDULE: '* * * * * *', CLEANUP_DAYS_OLD: '7' });
    expect(await scheduled.waitForLine('scheduled cleanup done')).toContain('"cleanedCount":0');
    expect((await engine.query<BatchView>('get', young)).status).toBe('cancelled');
  });

  it('is off by default', async () => {
    const service = await engine.orchestrator();
    expect(service.lines.some((line) => line.includes('cleanup scheduled'))).toBe(false);
  });

  it("runs once from the CronJob's command: cleanup-once.main.js asks the orchestrator", async () => {
    await engine.orchestrator();
    // The first run removes what the tests before left; the second finds only frank's batch.
    expect(await cleanupOnce()).toMatch(/^cleanup: removed \d+ batches that ended over 0 days ago$/m);
    const ended = { userId: 'frank', batchId: 'frank-ended' };
    await endedBatch(ended.userId, ended.batchId);
    expect(await cleanupOnce()).toContain('cleanup: removed 1 batches that ended over 0 days ago');
    expect(await notFound(ended)).toBe(true);
  });

  it('fails the CronJob when no orchestrator answers', async () => {
    await expect(cleanupOnce()).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('cleanup failed: unavailable'),
    });
  });
});
