import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import type { BatchEvent, EventOf } from '@batch/contracts';
import type { BatchView } from '../commands/batch-view.js';
import { ended, itemsOf, lifecycle, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(180_000);

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterEach(() => engine.stopAll());
afterAll(() => engine.close());

const failures = (events: BatchEvent[], batchId: string) =>
  events.filter(
    (event): event is EventOf<'ItemFailed'> => event.batchId === batchId && event.type === 'ItemFailed',
  );

describe('failures (real NATS and PostgreSQL, services as processes)', () => {
  it('fails only the failing items, completes the batch with them counted, and retries only those', async () => {
    const services = await Promise.all([
      engine.orchestrator(),
      engine.worker({ PROVIDER_MAX_RETRIES: '2', RETRY_BASE_DELAY_MS: '20' }),
    ]);
    const items = itemsOf(20).map((item, index) =>
      index < 3
        ? { ...item, parameters: { simulateError: 'permanent' } }
        : index < 5
          ? { ...item, parameters: { simulateError: 'temporary' } }
          : item,
    );
    const batch = await engine.command<BatchView>('create', {
      userId: 'u1',
      items,
      config: { provider: 'template' },
    });
    await engine.watcher.until(ended(batch.batch_id));

    const first = failures(engine.watcher.events, batch.batch_id);
    expect(
      first.map((event) => [event.data.itemId, event.data.error.code, event.data.error.category]).sort(),
    ).toEqual([
      ['item-0', 'simulated_permanent', 'permanent'],
      ['item-1', 'simulated_permanent', 'permanent'],
      ['item-2', 'simulated_permanent', 'permanent'],
      ['item-3', 'ERR_GEN_RETRIES_EXHAUSTED', 'permanent'],
      ['item-4', 'ERR_GEN_RETRIES_EXHAUSTED', 'permanent'],
    ]);
    expect(lifecycle(engine.watcher.events, batch.batch_id).at(-1)).toBe('BatchCompleted');

    const retried = await engine.command<BatchView>('retry-failed', {
      userId: 'u1',
      batchId: batch.batch_id,
    });
    expect(retried.status).toBe('running');
    expect(retried.failed_count).toBe(0);
    await engine.watcher.until(
      (events) => lifecycle(events, batch.batch_id).filter((type) => type === 'BatchCompleted').length === 2,
    );
    const second = failures(engine.watcher.events, batch.batch_id).filter(
      (event) => event.data.attempt === 2,
    );
    expect(second.map((event) => event.data.itemId).sort()).toEqual([
      'item-0',
      'item-1',
      'item-2',
      'item-3',
      'item-4',
    ]);
    const calls = engine.providerCalls(batch.batch_id);
    expect(calls.filter((line) => line.endsWith(' item-0'))).toHaveLength(2);
    // A temporary failure is tried 1 + PROVIDER_MAX_RETRIES times in each attempt.
    expect(calls.filter((line) => line.endsWith(' item-3'))).toHaveLength(6);
    expect(calls.filter((line) => line.endsWith(' item-7'))).toHaveLength(1);
    await Promise.all(services.map((service) => service.stop()));
  });

  it('ends a batch whose every item failed as failed, not completed', async () => {
    const services = await Promise.all([engine.orchestrator(), engine.worker()]);
    const items = itemsOf(4).map((item) => ({ ...item, parameters: { simulateError: 'permanent' } }));
    const batch = await engine.command<BatchView>('create', {
      userId: 'u1',
      items,
      config: { provider: 'template' },
    });
    await engine.watcher.until(ended(batch.batch_id));
    expect(lifecycle(engine.watcher.events, batch.batch_id)).toEqual([
      'BatchCreated',
      'BatchStarted',
      'BatchFailed',
    ]);
    await Promise.all(services.map((service) => service.stop()));
  });

  it('fails the items of work that no worker finished within its deliveries (every worker holding it crashed)', async () => {
    const orchestrator = await engine.orchestrator({ WORK_MAX_DELIVER: '1', WORK_ACK_WAIT_MS: '1000' });
    const worker = await engine.worker({ LOG_LEVEL: 'debug' });
    const batch = await engine.command<BatchView>('create', {
      userId: 'u1',
      items: itemsOf(1, 'stuck'),
      config: { provider: 'template', latencyMs: 60_000 },
    });
    await worker.waitForLine('"generating"');
    await worker.kill();
    // The next worker to ask for the batch's work finds it delivered as often as allowed.
    const next = await engine.worker();
    await engine.watcher.until(ended(batch.batch_id));
    const [failure] = failures(engine.watcher.events, batch.batch_id);
    expect(failure?.data.error).toMatchObject({
      code: 'ERR_GEN_RETRIES_EXHAUSTED',
      category: 'permanent',
      retryable: false,
    });
    expect(lifecycle(engine.watcher.events, batch.batch_id).at(-1)).toBe('BatchFailed');
    expect(engine.providerCalls(batch.batch_id)).toHaveLength(1);
    await Promise.all([orchestrator.stop(), next.stop()]);
  });

  describe('when JetStream refuses the work', () => {
    /** The work stream takes messages of at most `bytes` (-1: any size), as a misconfigured server would. */
    async function limitWorkMessages(bytes: number): Promise<void> {
      const jsm = await jetstreamManager(engine.nats.nc);
      const { config } = await jsm.streams.info(engine.nats.names.workStream);
      await jsm.streams.update(engine.nats.names.workStream, { ...config, max_msg_size: bytes });
    }
    afterEach(() => limitWorkMessages(-1));

    it('retries a refused dispatch with backoff and goes on once the work is taken', async () => {
      const orchestrator = await engine.orchestrator();
      const worker = await engine.worker();
      await limitWorkMessages(64);
      const batch = await engine.command<BatchView>('create', { userId: 'u1', items: itemsOf(5) });
      await orchestrator.waitForLine('"dispatch failed"');
      await limitWorkMessages(-1);

      await engine.watcher.until(ended(batch.batch_id));

      expect(lifecycle(engine.watcher.events, batch.batch_id)).toEqual([
        'BatchCreated',
        'BatchStarted',
        'BatchCompleted',
      ]);
      await Promise.all([orchestrator.stop(), worker.stop()]);
    });

    it('pauses a batch whose work keeps being refused, with the reason; resumed once fixed, it completes', async () => {
      const orchestrator = await engine.orchestrator({ DISPATCH_RETRY_BASE_MS: '50' });
      const worker = await engine.worker();
      await limitWorkMessages(64);
      const batch = await engine.command<BatchView>('create', { userId: 'u1', items: itemsOf(5) });

      await engine.watcher.until((events) => lifecycle(events, batch.batch_id).includes('BatchPaused'));

      const paused = engine.watcher.events.find(
        (event): event is EventOf<'BatchPaused'> =>
          event.batchId === batch.batch_id && event.type === 'BatchPaused',
      )!;
      expect(paused.data.reason).toMatch(
        /^dispatch failed 5 times: work of batch \S+ was refused: .*maximum/i,
      );
      const view = await engine.query<BatchView>('get', { userId: 'u1', batchId: batch.batch_id });
      expect(view).toMatchObject({ status: 'paused', pause_reason: paused.data.reason });

      await limitWorkMessages(-1);
      await engine.command('resume', { userId: 'u1', batchId: batch.batch_id });
      await engine.watcher.until(ended(batch.batch_id));
      expect(lifecycle(engine.watcher.events, batch.batch_id).at(-1)).toBe('BatchCompleted');
      await Promise.all([orchestrator.stop(), worker.stop()]);
    });
  });
});
