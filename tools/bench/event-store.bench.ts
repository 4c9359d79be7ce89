import type { NatsConnection } from '@nats-io/transport-node';
import {
  batchAggregate,
  batchDecider,
  progressOf,
  type BatchCommand,
  type BatchState,
} from '@batch/batch-domain';
import { names as namesFor, type BatchEvent, type EventOf } from '@batch/contracts';
import {
  createAggregateStore,
  createEventStore,
  createOutcomeCommitter,
  createSnapshotStore,
  type AggregateStore,
  type EventStore,
} from '@batch/event-store';
import { peakRssMib, rate, timed, type Figure } from './report.js';

const at = new Date().toISOString();
let serial = 0;
const outcome = (batchId: string, index: number): EventOf<'ItemCompleted'> => ({
  eventId: `b${++serial}`,
  type: 'ItemCompleted',
  batchId,
  occurredAt: at,
  schemaVersion: 1,
  data: {
    itemId: `item-${index}`,
    conversationId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    attempt: 1,
    durationMs: 42,
  },
});

async function appendFigures(store: EventStore<BatchEvent>): Promise<Figure[]> {
  const oneAtATime = 3_000;
  const serialRun = await timed(async () => {
    for (let index = 0; index < oneAtATime; index++) await store.append('serial', [outcome('serial', index)]);
  });
  const pipelinedCount = 50_000;
  const pipelinedRun = await timed(async () => {
    for (let start = 0; start < pipelinedCount; start += 1_000)
      await Promise.all(
        Array.from({ length: 1_000 }, (_, offset) =>
          store.append('pipelined', [outcome('pipelined', start + offset)]),
        ),
      );
  });
  const committedCount = 200_000;
  const committer = createOutcomeCommitter(store, { maxDelayMs: 5, maxEventsPerCommit: 1_000 });
  const committedRun = await timed(async () => {
    for (let start = 0; start < committedCount; start += 10_000)
      await Promise.all(
        Array.from({ length: 10_000 }, (_, offset) => committer.commit(outcome('committed', start + offset))),
      );
  });
  const bytes = Buffer.byteLength(JSON.stringify(outcome('x', 1)));
  return [
    {
      name: 'append, one awaited commit at a time',
      value: rate(oneAtATime, serialRun.ms),
      unit: 'events/s',
      note: `1 event (${bytes} B) per message`,
    },
    {
      name: 'append, 1,000 commits in flight',
      value: rate(pipelinedCount, pipelinedRun.ms),
      unit: 'events/s',
      note: '1 event per message',
    },
    {
      name: 'append through the outcome committer',
      value: rate(committedCount, committedRun.ms),
      unit: 'events/s',
      note: '<= 1,000 events per message, 5 ms window',
    },
  ];
}

/** A running batch of `size` items with every item completed: the worst case for a replay. */
async function buildLargeBatch(
  store: EventStore<BatchEvent>,
  aggregates: AggregateStore<BatchState, BatchCommand, BatchEvent>,
  batchId: string,
  size: number,
): Promise<void> {
  const items = Array.from({ length: size }, (_, index) => ({
    id: `item-${index}`,
    topic: `conversation topic number ${index}`,
  }));
  const command: BatchCommand = {
    type: 'CreateBatch',
    data: {
      batchId,
      userId: 'bench',
      name: 'bench',
      config: { provider: 'template' },
      items,
      autoStart: true,
    },
    metadata: { now: at, newEventId: () => `c${++serial}` },
  };
  await aggregates.handle(batchId, command);
  const committer = createOutcomeCommitter(store, { maxEventsPerCommit: 1_000 });
  for (let start = 0; start < size; start += 20_000)
    await Promise.all(
      Array.from({ length: Math.min(20_000, size - start) }, (_, offset) =>
        committer.commit(outcome(batchId, start + offset)),
      ),
    );
}

export async function eventStoreBench(nc: NatsConnection, namespace: string): Promise<Figure[]> {
  const names = namesFor(namespace);
  const store = await createEventStore(nc, { aggregate: batchAggregate(names) });
  await store.ensure();
  const snapshots = await createSnapshotStore(nc, { bucket: names.snapshotBucket });
  const aggregates = () =>
    createAggregateStore({ events: store, snapshots, decider: batchDecider, snapshotEvery: Infinity });
  const figures = await appendFigures(store);

  const size = 1_000_000;
  const batchId = 'million';
  const built = await timed(() => buildLargeBatch(store, aggregates(), batchId, size));
  figures.push({
    name: 'write a 1,000,000-item batch, every item completed',
    value: Math.round(built.ms),
    unit: 'ms',
    note: 'create (chunked ItemsAdded) + 1,000,000 outcomes',
  });

  let events = 0;
  let commits = 0;
  const replay = await timed(async () => {
    for await (const commit of store.read(batchId)) {
      commits++;
      events += commit.events.length;
    }
  });
  figures.push({
    name: 'replay (ordered consumer + JSON.parse)',
    value: rate(events, replay.ms),
    unit: 'events/s',
    note: `${events.toLocaleString('en-US')} events in ${commits.toLocaleString('en-US')} messages`,
  });

  const writer = aggregates();
  const fromZero = await timed(() => writer.load(batchId));
  const { completed } = progressOf(fromZero.result.state);
  figures.push({
    name: 'load a 1,000,000-item batch from zero',
    value: Math.round(fromZero.ms),
    unit: 'ms',
    note: `fold of every event, ${completed.toLocaleString('en-US')} completed`,
  });

  const saved = await timed(() => writer.snapshot(batchId));
  figures.push({
    name: 'save a snapshot of it (gzip, chunked KV)',
    value: Math.round(saved.ms),
    unit: 'ms',
    note: `${(saved.result.bytes / 1024 / 1024).toFixed(1)} MiB in ${saved.result.chunks} values`,
  });
  const fromSnapshot = await timed(() => aggregates().load(batchId));
  figures.push({
    name: 'load it from the snapshot',
    value: Math.round(fromSnapshot.ms),
    unit: 'ms',
    note: `${fromSnapshot.result.eventsSinceSnapshot} events after it`,
  });
  figures.push({ name: 'peak RSS of the bench process', value: peakRssMib(), unit: 'MiB' });
  return figures;
}
