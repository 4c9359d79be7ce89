import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testNats, type TestNats } from '@batch/testing';
import {
  batchAggregate,
  batchDecider,
  DomainError,
  fold,
  initialState,
  progressOf,
  toSnapshot,
  type BatchCommand,
  type BatchState,
  type CommandMetadata,
} from '@batch/batch-domain';
import type { BatchEvent, EventStream, ItemSpec } from '@batch/contracts';
import { createAggregateStore, type AggregateStore } from './aggregate-store.js';
import { createEventStore, type EventStore } from './event-store.js';
import { createOutcomeCommitter } from './outcome-committer.js';
import { createSnapshotStore, type SnapshotStore } from './snapshot-store.js';

const at = '2026-11-23T10:00:00.000Z';
let ids = 0;
const metadata = (): CommandMetadata => ({ now: at, newEventId: () => `e${++ids}` });
const items = (count: number): ItemSpec[] =>
  Array.from({ length: count }, (_, index) => ({ id: `item-${index}`, topic: `a topic about ${index}` }));
const create = (batchId: string, count: number): BatchCommand => ({
  type: 'CreateBatch',
  data: {
    batchId,
    userId: 'u1',
    name: 'n',
    config: { provider: 'template' },
    items: items(count),
    autoStart: true,
  },
  metadata: metadata(),
});
const pause = (): BatchCommand => ({ type: 'PauseBatch', data: { reason: 'race' }, metadata: metadata() });

let nats: TestNats;
let events: EventStore<BatchEvent, EventStream>;
let snapshots: SnapshotStore;
const aggregates = (
  snapshotEvery = 1_000_000,
  onSnapshot?: (batchId: string) => void,
): AggregateStore<BatchState, BatchCommand, BatchEvent> =>
  createAggregateStore({ events, snapshots, decider: batchDecider, snapshotEvery, onSnapshot });

async function replayFromZero(batchId: string): Promise<BatchState> {
  const all: BatchEvent[] = [];
  for await (const commit of events.read(batchId)) all.push(...commit.events);
  return fold(all, initialState());
}

async function complete(batchId: string, from: number, to: number): Promise<void> {
  const committer = createOutcomeCommitter(events);
  await Promise.all(
    Array.from({ length: to - from }, (_, offset) =>
      committer.commit({
        eventId: `done-${from + offset}`,
        type: 'ItemCompleted',
        batchId,
        occurredAt: at,
        schemaVersion: 1,
        data: {
          itemId: `item-${from + offset}`,
          conversationId: `c${from + offset}`,
          attempt: 1,
          durationMs: 1,
        },
      }),
    ),
  );
}

beforeAll(async () => {
  nats = await testNats();
  events = await createEventStore(nats.nc, { aggregate: batchAggregate(nats.names) });
  await events.ensure();
  snapshots = await createSnapshotStore(nats.nc, {
    bucket: nats.names.snapshotBucket,
    chunkBytes: 64 * 1024,
  });
});
afterAll(() => nats.close());

describe('the aggregate store', () => {
  it('creates a large batch over several commits, started only after all of its items', async () => {
    const handled = await aggregates().handle('big', create('big', 60_000));
    const types = handled.events.map((event) => event.type);
    expect(types[0]).toBe('BatchCreated');
    expect(types.at(-1)).toBe('BatchStarted');
    const commits = [];
    for await (const commit of events.read('big')) commits.push(commit);
    expect(commits.length).toBeGreaterThan(3);
    expect(commits.at(-1)!.events.map((event) => event.type)).toEqual(['BatchStarted']);
    const loaded = await aggregates().load('big');
    expect(loaded.state.status).toBe('running');
    expect(progressOf(loaded.state).total).toBe(60_000);
  });

  it('loads the latest snapshot plus the events after it, equal to a full replay', async () => {
    const batchId = 'snap';
    const writer = aggregates(5_000);
    await writer.handle(batchId, create(batchId, 30_000));
    await complete(batchId, 0, 12_000);
    await writer.snapshot(batchId);
    await complete(batchId, 12_000, 12_500);

    const stored = await snapshots.load(batchId);
    expect(stored).toBeDefined();
    const cold = await aggregates().load(batchId);
    expect(cold.eventsSinceSnapshot).toBe(500);
    expect(JSON.stringify(toSnapshot(cold.state))).toBe(
      JSON.stringify(toSnapshot(await replayFromZero(batchId))),
    );
    expect(progressOf(cold.state)).toMatchObject({ completed: 12_500, pending: 17_500 });
  });

  it('takes a snapshot by itself every N events', async () => {
    const batchId = 'auto-snap';
    let snapshotTaken!: () => void;
    const taken = new Promise<void>((resolve) => (snapshotTaken = resolve));
    const store = aggregates(1_000, (id) => id === batchId && snapshotTaken());
    await store.handle(batchId, create(batchId, 3_000));
    await complete(batchId, 0, 2_000);
    expect(await snapshots.load(batchId)).toBeUndefined();
    await store.load(batchId);
    await taken;
    const stored = await snapshots.load<{ items: { status: string } }>(batchId);
    expect(Buffer.from(stored!.state.items.status, 'base64').filter((code) => code === 1)).toHaveLength(
      2_000,
    );
  });

  it('takes a snapshot as often as the state asks', async () => {
    const batchId = 'sized-snap';
    let snapshotTaken!: () => void;
    const taken = new Promise<void>((resolve) => (snapshotTaken = resolve));
    const store = createAggregateStore({
      events,
      snapshots,
      decider: batchDecider,
      snapshotEvery: (state: BatchState) => (state.status === 'empty' ? 1 : state.items.size),
      onSnapshot: (id) => id === batchId && snapshotTaken(),
    });
    await store.handle(batchId, create(batchId, 3_000));
    await complete(batchId, 0, 2_000);
    expect((await store.load(batchId)).eventsSinceSnapshot).toBeGreaterThanOrEqual(2_000);
    await complete(batchId, 2_000, 3_000);
    expect((await store.load(batchId)).eventsSinceSnapshot).toBe(0);
    await taken;
    expect(await snapshots.load(batchId)).toBeDefined();
  });

  it('lets exactly one of two replicas append a racing lifecycle decision', async () => {
    const batchId = 'race';
    await aggregates().handle(batchId, create(batchId, 10));
    const [first, second] = [aggregates(), aggregates()];
    await Promise.all([first.load(batchId), second.load(batchId)]);
    const outcomes = await Promise.allSettled([
      first.handle(batchId, pause()),
      second.handle(batchId, pause()),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(DomainError);
    expect((refused.reason as DomainError).code).toBe('invalid_state');
    const all: string[] = [];
    for await (const commit of events.read(batchId)) all.push(...commit.events.map((event) => event.type));
    expect(all.filter((type) => type === 'BatchPaused')).toHaveLength(1);
  });

  it('forgets an ended batch: its snapshot is removed', async () => {
    const batchId = 'forget';
    const store = aggregates();
    await store.handle(batchId, create(batchId, 5));
    await store.snapshot(batchId);
    expect(await snapshots.load(batchId)).toBeDefined();
    await store.forget(batchId);
    expect(await snapshots.load(batchId)).toBeUndefined();
  });

  it('removes a batch between calls on it; a replica that still holds it in memory then finds it gone', async () => {
    const batchId = 'removed';
    const [cleaner, other] = [aggregates(), aggregates()];
    await cleaner.handle(batchId, create(batchId, 5));
    await cleaner.snapshot(batchId);
    await other.load(batchId);
    await Promise.all([cleaner.handle(batchId, pause()), cleaner.remove(batchId)]);
    expect(await replayFromZero(batchId)).toEqual({ status: 'empty' });
    expect(await snapshots.load(batchId)).toBeUndefined();
    await expect(cleaner.handle(batchId, pause())).rejects.toMatchObject({ code: 'not_found' });
    // Its cached state is stale: the append conflicts, the store reloads, and the batch is gone.
    await expect(other.handle(batchId, pause())).rejects.toMatchObject({ code: 'not_found' });
  });
});
