import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import { batchAggregate, batchDecider, type BatchCommand } from '@batch/batch-domain';
import type { BatchEvent } from '@batch/contracts';
import { createAggregateStore, createEventStore, createSnapshotStore } from '@batch/event-store';
import { itemsOf, testNats, type TestNats } from '@batch/testing';
import { lifecycleVerdicts, type LifecycleVerdicts } from './lifecycle-verdicts.js';

let nats: TestNats;
let aggregates: ReturnType<typeof createAggregateStore<never, BatchCommand, BatchEvent>>;
let verdicts: LifecycleVerdicts;
let verdict: LifecycleVerdicts['verdict'];

beforeAll(async () => {
  nats = await testNats();
  const events = await createEventStore(nats.nc, { aggregate: batchAggregate(nats.names) });
  await events.ensure();
  const snapshots = await createSnapshotStore(nats.nc, { bucket: nats.names.snapshotBucket });
  aggregates = createAggregateStore({ events, snapshots, decider: batchDecider as never });
  // Every call looks the log up again (workers share a lookup for 250 ms).
  verdicts = lifecycleVerdicts(nats.nc, await jetstreamManager(nats.nc), nats.names, 0);
  verdict = verdicts.verdict;
});
afterAll(async () => {
  verdicts.close();
  await nats.close();
});

let ids = 0;
const command = (type: BatchCommand['type'], data: object = {}): BatchCommand =>
  ({
    type,
    data,
    metadata: { now: new Date().toISOString(), newEventId: () => `e${++ids}` },
  }) as BatchCommand;

/** A running batch, and the lifecycle sequence a message sent now would carry. */
async function running(batchId: string): Promise<number> {
  await aggregates.handle(
    batchId,
    command('CreateBatch', {
      batchId,
      userId: 'u1',
      name: batchId,
      config: { provider: 'template' },
      items: itemsOf(2),
      autoStart: true,
    }),
  );
  return (await aggregates.load(batchId)).version.lifecycleSeq;
}

describe('what the log says of a work message', () => {
  it('lets it go on while nothing was decided since it was sent', async () => {
    const sent = await running('quiet');
    expect(await verdict('quiet', sent)).toBe('go');
  });

  it('holds it back while its batch is paused, and lets it go on once resumed as it was', async () => {
    const sent = await running('paused');
    await aggregates.handle('paused', command('PauseBatch', { reason: 'lunch' }));
    expect(await verdict('paused', sent)).toBe('hold');
    await aggregates.handle('paused', command('ResumeBatch'));
    expect(await verdict('paused', sent)).toBe('go');
  });

  it('holds it back for good once resumed with new settings: its work is purged and sent again', async () => {
    const sent = await running('changed');
    await aggregates.handle('changed', command('PauseBatch', { reason: 'r' }));
    await aggregates.handle('changed', command('ResumeBatch', { configOverrides: { model: 'other' } }));
    await aggregates.handle('changed', command('PauseBatch', { reason: 'r' }));
    await aggregates.handle('changed', command('ResumeBatch'));
    expect(await verdict('changed', sent)).toBe('hold');
    // A message sent after the change carries the later sequence: it goes on.
    expect(await verdict('changed', (await aggregates.load('changed')).version.lifecycleSeq)).toBe('go');
  });

  it('lets it go once its batch is cancelled', async () => {
    const sent = await running('cancelled');
    await aggregates.handle('cancelled', command('CancelBatch'));
    expect(await verdict('cancelled', sent)).toBe('drop');
  });

  it('hears a decision as it is made: waiting messages wake, and a shared lookup is not trusted after it', async () => {
    const sent = await running('heard');
    // Looked up once for a minute: only the decision heard on its subject makes the next look fresh.
    const shared = lifecycleVerdicts(nats.nc, await jetstreamManager(nats.nc), nats.names, 60_000);
    try {
      expect(await shared.verdict('heard', sent)).toBe('go');
      // Waits far longer than the test's timeout unless the pause is heard.
      const paused = shared.nextDecision('heard', 10 * 60_000);
      const other = shared.nextDecision('quiet', 10 * 60_000);
      await aggregates.handle('heard', command('PauseBatch', { reason: 'lunch' }));
      await paused;
      expect(await shared.verdict('heard', sent)).toBe('hold');
      const resumed = shared.nextDecision('heard', 10 * 60_000);
      await aggregates.handle('heard', command('ResumeBatch'));
      await resumed;
      expect(await shared.verdict('heard', sent)).toBe('go');
      // Another batch's waiters slept on: their own time limit ends the wait.
      expect(await Promise.race([other.then(() => 'woken'), Promise.resolve('waiting')])).toBe('waiting');
    } finally {
      shared.close();
    }
  });
});
