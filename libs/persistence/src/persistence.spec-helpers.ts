import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import {
  batchAggregate,
  batchDecider,
  fold,
  initialState,
  statusAt,
  type Batch,
  type BatchCommand,
  type BatchState,
} from '@batch/batch-domain';
import type { BatchEvent, EventOf, ErrorShape, ItemSpec } from '@batch/contracts';
import {
  createAggregateStore,
  createEventStore,
  createSnapshotStore,
  type AggregateStore,
  type EventStore,
} from '@batch/event-store';
import { testDatabase, testNats, type TestDatabase, type TestNats } from '@batch/testing';
import { createDataSource, runMigrations } from './data-source.factory.js';

/** PostgreSQL alone (own schema, migrated) for one test file. */
export async function migratedDatabase(): Promise<{ ds: DataSource; close(): Promise<void> }> {
  const db = await testDatabase();
  const ds = await createDataSource({ url: db.url, schema: db.schema });
  await runMigrations(ds);
  return {
    ds,
    close: async () => {
      await ds.destroy();
      await db.close();
    },
  };
}

/** Real NATS (own namespace) and PostgreSQL (own schema, migrated) for one test file. */
export interface TestPersistence {
  nats: TestNats;
  db: TestDatabase;
  ds: DataSource;
  events: EventStore<BatchEvent>;
  aggregates: AggregateStore<BatchState, BatchCommand, BatchEvent>;
  /** The stream's last sequence: what a projector must reach to have seen everything appended. */
  lastSeq(): Promise<number>;
  close(): Promise<void>;
}

export async function testPersistence(): Promise<TestPersistence> {
  const nats = await testNats();
  const db = await testDatabase();
  const ds = await createDataSource({ url: db.url, schema: db.schema });
  await runMigrations(ds);
  const events = await createEventStore(nats.nc, { aggregate: batchAggregate(nats.names) });
  await events.ensure();
  const snapshots = await createSnapshotStore(nats.nc, { bucket: nats.names.snapshotBucket });
  const aggregates = createAggregateStore({ events, snapshots, decider: batchDecider, snapshotEvery: 1e9 });
  const jsm = await jetstreamManager(nats.nc);
  return {
    nats,
    db,
    ds,
    events,
    aggregates,
    lastSeq: async () => (await jsm.streams.info(nats.names.eventsStream)).state.last_seq,
    close: async () => {
      await ds.destroy();
      await db.close();
      await nats.close();
    },
  };
}

export const itemsOf = (count: number, prefix = 'item'): ItemSpec[] =>
  Array.from({ length: count }, (_, index) => ({
    id: `${prefix}-${index}`,
    topic: `topic ${index}`,
    ...(index % 2 === 0 ? { parameters: { turns: index % 5 } } : {}),
  }));

type CommandData<T extends BatchCommand['type']> = Extract<BatchCommand, { type: T }>['data'];

export function command<T extends BatchCommand['type']>(
  type: T,
  data: CommandData<T>,
  now = '2026-11-23T10:00:00.000Z',
): BatchCommand {
  return { type, data, metadata: { now, newEventId: randomUUID } } as BatchCommand;
}

export const createBatch = (
  batchId: string,
  items: ItemSpec[],
  options: { userId?: string; now?: string; autoStart?: boolean; totalItems?: number } = {},
): BatchCommand =>
  command(
    'CreateBatch',
    {
      batchId,
      userId: options.userId ?? 'user-1',
      name: `batch ${batchId}`,
      config: { provider: 'template', model: 'm1', temperature: 0.5 },
      items,
      autoStart: options.autoStart ?? true,
      ...(options.totalItems === undefined ? {} : { totalItems: options.totalItems }),
    },
    options.now,
  );

const envelope = (batchId: string, occurredAt: string) => ({
  eventId: randomUUID(),
  batchId,
  occurredAt,
  schemaVersion: 1 as const,
});

export const completedOutcome = (
  batchId: string,
  itemId: string,
  attempt = 1,
  occurredAt = '2026-11-23T10:05:00.000Z',
): EventOf<'ItemCompleted'> => ({
  ...envelope(batchId, occurredAt),
  type: 'ItemCompleted',
  data: { itemId, conversationId: `conv-${itemId}-${attempt}`, attempt, durationMs: 3 },
});

export const providerError: ErrorShape = {
  code: 'provider_error',
  category: 'permanent',
  message: 'the provider refused',
  retryable: false,
};

export const failedOutcome = (
  batchId: string,
  itemId: string,
  attempt = 1,
  occurredAt = '2026-11-23T10:06:00.000Z',
): EventOf<'ItemFailed'> => ({
  ...envelope(batchId, occurredAt),
  type: 'ItemFailed',
  data: { itemId, attempt, error: providerError },
});

/** Appends events in commits of `perCommit`, all in flight at once (each commit gets its own id). */
export async function appendInCommits(
  store: EventStore<BatchEvent>,
  batchId: string,
  events: readonly BatchEvent[],
  perCommit: number,
): Promise<void> {
  const commits = [];
  for (let start = 0; start < events.length; start += perCommit)
    commits.push(store.append(batchId, events.slice(start, start + perCommit)));
  const stored = await Promise.all(commits);
  if (stored.some((ack) => ack.duplicate)) throw new Error('a test commit was dropped as a duplicate');
}

/** Every event of a batch, in order, as its log holds them. */
export async function eventsOf(store: EventStore<BatchEvent>, batchId: string): Promise<BatchEvent[]> {
  const events: BatchEvent[] = [];
  for await (const commit of store.read(batchId)) events.push(...commit.events);
  return events;
}

/** The batch as the domain folds it from its whole log. */
export async function domainState(store: EventStore<BatchEvent>, batchId: string): Promise<Batch> {
  const state = fold(await eventsOf(store, batchId), initialState());
  if (state.status === 'empty') throw new Error(`no batch ${batchId} in the log`);
  return state;
}

/** The domain's items in the projection's shape, in order of arrival. */
export const domainItems = (batch: Batch) =>
  [...batch.items.ids].map((itemId, index) => ({
    item_id: itemId,
    position: index,
    status: statusAt(batch.items, index),
    attempt: batch.items.attempt[index]!,
  }));

export const projectedItems = (ds: DataSource, batchId: string) =>
  ds.query(
    `SELECT item_id, position, status, attempt FROM batch_items WHERE batch_id = $1 ORDER BY position`,
    [batchId],
  );

/** Every row of the projection's tables, in a stable order: to compare two projections. */
export async function projectionRows(ds: DataSource) {
  return {
    batches: await ds.query(`SELECT * FROM batches ORDER BY batch_id`),
    items: await ds.query(`SELECT * FROM batch_items ORDER BY batch_id, item_id`),
  };
}

export const storedCheckpoint = async (ds: DataSource, name = 'batches'): Promise<number> => {
  const [row] = await ds.query(`SELECT last_seq FROM projection_checkpoints WHERE name = $1`, [name]);
  return row ? Number(row.last_seq) : 0;
};

const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Starts a TypeScript entry point in its own Node process, as the npm scripts do. */
export function spawnEntryPoint(file: URL, env: Record<string, string>) {
  return spawn(
    process.execPath,
    ['--conditions=@batch/source', '--import', '@swc-node/register/esm-register', fileURLToPath(file)],
    { cwd: repositoryRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}
