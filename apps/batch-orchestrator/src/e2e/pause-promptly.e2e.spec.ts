import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import type { BatchView } from '../commands/batch-view.js';
import { completedIds, ended, itemsOf, lifecycle, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(120_000);

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.close());

const create = (items: number, prefix: string, config: Record<string, unknown> = {}) =>
  engine.command<BatchView>('create', {
    userId: 'user-1',
    items: itemsOf(items, prefix),
    config: { provider: 'template', ...config },
  });

it('a pause stops generation within moments, though the worker already holds the window; resume generates each item once', async () => {
  const orchestrator = await engine.orchestrator();
  const worker = await engine.worker();
  // 600 items at 20 ms and 3 at a time: the whole batch is queued and taken by the one worker at once.
  const slow = await create(600, 'slow', { latencyMs: 20 });
  await engine.watcher.until((events) => completedIds(events, slow.batch_id).size >= 30);
  await engine.command('pause', { userId: 'user-1', batchId: slow.batch_id });
  const callsAtPause = engine.providerCalls(slow.batch_id).length;

  // A batch created after the pause is worked after what the worker held of the paused one.
  const next = await create(3, 'next');
  await engine.watcher.until(ended(next.batch_id));
  const callsWhilePaused = engine.providerCalls(slow.batch_id).length - callsAtPause;
  // Held items already generating finish; the rest (about 550) are left alone.
  expect(callsWhilePaused).toBeLessThan(100);

  await engine.command('resume', { userId: 'user-1', batchId: slow.batch_id });
  await engine.watcher.until(ended(slow.batch_id));
  expect(lifecycle(engine.watcher.events, slow.batch_id)).toEqual([
    'BatchCreated',
    'BatchStarted',
    'BatchPaused',
    'BatchResumed',
    'BatchCompleted',
  ]);
  expect(completedIds(engine.watcher.events, slow.batch_id).size).toBe(600);
  const calls = engine.providerCalls(slow.batch_id);
  expect(calls).toHaveLength(600);
  expect(new Set(calls).size).toBe(600);
  await Promise.all([orchestrator.stop(), worker.stop()]);
});
