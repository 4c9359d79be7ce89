import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { BatchEvent } from '@batch/contracts';
import type { BatchView } from '../commands/batch-view.js';
import { completedIds, ended, itemsOf, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(120_000);

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterEach(() => engine.stopAll());
afterAll(() => engine.close());

const create = (userId: string, items: number, prefix: string, config: Record<string, unknown> = {}) =>
  engine.command<BatchView>('create', {
    userId,
    items: itemsOf(items, prefix),
    config: { provider: 'template', ...config },
  });

const completionsOf = (events: BatchEvent[], batchId: string) =>
  events.filter((event) => event.batchId === batchId && event.type === 'ItemCompleted').length;

/** The pid of the worker that called the provider for each item of a batch. */
const callersOf = (engine: Engine, batchId: string): Map<string, string[]> => {
  const callers = new Map<string, string[]>();
  for (const line of readFileSync(engine.callLog, 'utf8').split('\n')) {
    const [batch, item, pid] = line.split(' ');
    if (batch !== batchId || !item || !pid) continue;
    callers.set(item, [...(callers.get(item) ?? []), pid]);
  }
  return callers;
};

describe('sharing the workers between users and batches', () => {
  it("runs one user's 1-item batch at once while another user's slow batch holds every slot of the only worker", async () => {
    const orchestrator = await engine.orchestrator();
    const worker = await engine.worker({ LOG_LEVEL: 'debug' });
    // 6 items of 20 s at WORKER_CONCURRENCY 3: every slot is taken for the next 20 seconds.
    const slow = await create('user-x', 6, 'slow', { latencyMs: 20_000 });
    await worker.waitForLine('"generating"');
    const quick = await create('user-y', 1, 'quick');

    await engine.watcher.until(ended(quick.batch_id));

    // Y did not wait for a slot of X's: it ended before any of X's items did.
    expect(completionsOf(engine.watcher.events, slow.batch_id)).toBe(0);
    expect(completedIds(engine.watcher.events, quick.batch_id).size).toBe(1);
    await engine.command('cancel', { userId: 'user-x', batchId: slow.batch_id });
    await Promise.all([worker.kill(), orchestrator.stop()]);
  });

  it("works a later, smaller batch alongside an earlier large one instead of after the large one's whole window", async () => {
    const orchestrator = await engine.orchestrator({ DISPATCH_WINDOW: '1000' });
    const worker = await engine.worker();
    const large = await create('user-x', 2_000, 'large', { latencyMs: 10 });
    await engine.watcher.until((events) => completionsOf(events, large.batch_id) >= 30);
    const small = await create('user-y', 100, 'small', { latencyMs: 10 });

    await engine.watcher.until(ended(small.batch_id));

    // Round-robin between the two: the small batch ends long before the large one's first window.
    expect(completionsOf(engine.watcher.events, small.batch_id)).toBe(100);
    expect(completionsOf(engine.watcher.events, large.batch_id)).toBeLessThan(1_000);
    await engine.command('cancel', { userId: 'user-x', batchId: large.batch_id });
    await Promise.all([worker.stop(), orchestrator.stop()]);
  });
});

describe('handing work on when a worker goes', () => {
  it("gives a stopping worker's items it had not started to another worker at once, not after the ack wait", async () => {
    // An ack wait far beyond the test's patience: only the stopping worker's hand-back can be in time.
    const orchestrator = await engine.orchestrator({
      WORK_ACK_WAIT_MS: '600000',
      ITEMS_PER_WORK_MESSAGE: '10',
    });
    const leaving = await engine.worker();
    // 60 items of 800 ms, 3 at a time: 16 s of work, all of it held by the one worker from the start.
    const batch = await create('user-1', 60, 'handed', { latencyMs: 800 });
    await engine.watcher.until((events) => completionsOf(events, batch.batch_id) >= 3);
    const staying = await engine.worker({ WORKER_CONCURRENCY: '10' });
    await leaving.stop();
    await engine.watcher.until(ended(batch.batch_id));

    expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(60);
    const callers = callersOf(engine, batch.batch_id);
    expect(callers.size).toBe(60);
    // Each item generated once: what the leaving worker started it finished; the rest went on.
    expect([...callers.values()].every((pids) => pids.length === 1)).toBe(true);
    const pids = new Set([...callers.values()].flat());
    expect(pids).toEqual(new Set([String(leaving.child.pid), String(staying.child.pid)]));
    await Promise.all([staying.stop(), orchestrator.stop()]);
  });
});
