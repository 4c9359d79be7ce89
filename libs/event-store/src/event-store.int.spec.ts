import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { testNats, type TestNats } from '@batch/testing';
import { batchAggregate } from '@batch/batch-domain';
import type { BatchEvent, EventOf, EventStream } from '@batch/contracts';
import { createEventStore, type EventStore } from './event-store.js';
import { ConcurrencyError } from './errors.js';
import { createOutcomeCommitter } from './outcome-committer.js';
import type { StoredCommit } from './commit.js';

const at = '2026-11-23T10:00:00.000Z';
let eventCounter = 0;
const envelope = (batchId: string) => ({
  eventId: `e${++eventCounter}`,
  batchId,
  occurredAt: at,
  schemaVersion: 1 as const,
});
const created = (batchId: string): EventOf<'BatchCreated'> => ({
  ...envelope(batchId),
  type: 'BatchCreated',
  data: { batchId, userId: 'u', name: 'n', config: { provider: 'template' }, totalItems: 0 },
});
const paused = (batchId: string): EventOf<'BatchPaused'> => ({
  ...envelope(batchId),
  type: 'BatchPaused',
  data: { reason: 'r' },
});
const completed = (batchId: string, item: number, attempt = 1): EventOf<'ItemCompleted'> => ({
  ...envelope(batchId),
  type: 'ItemCompleted',
  data: { itemId: `i${item}`, conversationId: `c${item}`, attempt, durationMs: 1 },
});

type Commit = StoredCommit<BatchEvent, EventStream>;

async function all(iterable: AsyncIterable<Commit>): Promise<Commit[]> {
  const commits: Commit[] = [];
  for await (const commit of iterable) commits.push(commit);
  return commits;
}
const eventIds = (commits: Commit[]) =>
  commits.flatMap((commit) => commit.events.map((event) => event.eventId));

let nats: TestNats;
let store: EventStore<BatchEvent, EventStream>;

beforeAll(async () => {
  nats = await testNats();
  store = await createEventStore(nats.nc, { aggregate: batchAggregate(nats.names) });
  await store.ensure();
});
afterAll(() => nats.close());

describe('the event store on JetStream', () => {
  it('creates its stream idempotently, even from several callers at once', async () => {
    await Promise.all([store.ensure(), store.ensure(), store.ensure()]);
    const jsm = await jetstreamManager(nats.nc);
    const info = await jsm.streams.info(nats.names.eventsStream);
    expect(info.config.subjects).toEqual([nats.names.allEvents]);
    expect(info.config.storage).toBe('file');
  });

  it('brings an existing stream to a changed config', async () => {
    const changed = await createEventStore(nats.nc, {
      aggregate: batchAggregate(nats.names),
      stream: { duplicateWindowMs: 60_000 },
    });
    await changed.ensure();
    const jsm = await jetstreamManager(nats.nc);
    expect((await jsm.streams.info(nats.names.eventsStream)).config.duplicate_window).toBe(
      60_000 * 1_000_000,
    );
    await store.ensure();
  });

  it('appends commits and reads them back in order, on two subjects under one filter', async () => {
    const batchId = 'order';
    await store.append(batchId, [created(batchId)], { expectedLastSeq: 0 });
    await store.append(batchId, [completed(batchId, 1), completed(batchId, 2)]);
    await store.append(batchId, [paused(batchId)]);
    await store.append('other', [created('other')]);
    const commits = await all(store.read(batchId));
    expect(commits.map((commit) => commit.channel)).toEqual(['lifecycle', 'items', 'lifecycle']);
    expect(commits.map((commit) => commit.events.map((event) => event.type))).toEqual([
      ['BatchCreated'],
      ['ItemCompleted', 'ItemCompleted'],
      ['BatchPaused'],
    ]);
    expect(commits[1]!.seq).toBeGreaterThan(commits[0]!.seq);
    expect(await all(store.read(batchId, commits[2]!.seq))).toHaveLength(1);
    expect(await all(store.read('nothing-here'))).toEqual([]);
  });

  it('reads one commit of a channel at or after a sequence, by direct get', async () => {
    const batchId = 'read-one';
    const lifecycle = await store.append(batchId, [created(batchId)], { expectedLastSeq: 0 });
    await store.append('read-one-other', [completed('read-one-other', 1)]);
    const one = [completed(batchId, 1)];
    const two = [completed(batchId, 2), completed(batchId, 3)];
    const first = await store.append(batchId, one);
    const second = await store.append(batchId, two);

    expect(await store.readOne(batchId, lifecycle.seq, 'items')).toEqual({
      seq: first.seq,
      channel: 'items',
      events: one,
    });
    expect(await store.readOne(batchId, first.seq + 1, 'items')).toEqual({
      seq: second.seq,
      channel: 'items',
      events: two,
    });
    expect(await store.readOne(batchId, second.seq + 1, 'items')).toBeUndefined();
    expect((await store.readOne(batchId, 1, 'lifecycle'))?.seq).toBe(lifecycle.seq);
  });

  it('drops a commit repeated with the same Nats-Msg-Id', async () => {
    const batchId = 'dedup';
    const outcome = completed(batchId, 7);
    const first = await store.append(batchId, [outcome]);
    const again = await store.append(batchId, [{ ...outcome, eventId: 'a-new-event-id' }]);
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ seq: first.seq, duplicate: true });
    const commits = await all(store.read(batchId));
    expect(eventIds(commits)).toEqual([outcome.eventId]);
  });

  it('refuses a lifecycle commit on a stale expected sequence with a ConcurrencyError', async () => {
    const batchId = 'conflict';
    const { seq } = await store.append(batchId, [created(batchId)], { expectedLastSeq: 0 });
    await store.append(batchId, [completed(batchId, 1)]);
    const paused1 = await store.append(batchId, [paused(batchId)], { expectedLastSeq: seq });
    const stale = store.append(batchId, [paused(batchId)], { expectedLastSeq: seq });
    await expect(stale).rejects.toThrow(ConcurrencyError);
    await expect(store.append(batchId, [created(batchId)], { expectedLastSeq: 0 })).rejects.toThrow(
      ConcurrencyError,
    );
    expect(paused1.duplicate).toBe(false);
    expect((await all(store.read(batchId))).map((commit) => commit.events[0]!.type)).toEqual([
      'BatchCreated',
      'ItemCompleted',
      'BatchPaused',
    ]);
  });

  it('pipelines appends: many in flight, acks awaited together', async () => {
    const batchId = 'pipelined';
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, item) => store.append(batchId, [completed(batchId, item)])),
    );
    expect(new Set(results.map((result) => result.seq)).size).toBe(500);
    expect(eventIds(await all(store.read(batchId)))).toHaveLength(500);
  });

  it('commits outcomes together: one message for many, each stored once', async () => {
    const batchId = 'committer';
    const committer = createOutcomeCommitter(store, { maxDelayMs: 20, maxEventsPerCommit: 400 });
    const outcomes = Array.from({ length: 1000 }, (_, item) => completed(batchId, item));
    await Promise.all(
      [...outcomes, outcomes[3]!, outcomes[999]!].map((outcome) => committer.commit(outcome)),
    );
    const commits = await all(store.read(batchId));
    expect(commits.length).toBeLessThanOrEqual(10);
    const stored = commits.flatMap((commit) => commit.events) as BatchEvent[];
    expect(new Set(stored.map((event) => event.type === 'ItemCompleted' && event.data.itemId)).size).toBe(
      1000,
    );
  });

  it('replays to the end across a reconnect in the middle of the read', async () => {
    const batchId = 'reconnect';
    const perCommit = 50;
    await Promise.all(
      Array.from({ length: 400 }, (_, commit) =>
        store.append(
          batchId,
          Array.from({ length: perCommit }, (_, index) => completed(batchId, commit * perCommit + index)),
        ),
      ),
    );
    const reader = await connect({ servers: nats.url, reconnectTimeWait: 10 });
    const readerStore = await createEventStore(reader, {
      aggregate: batchAggregate(nats.names),
      readBufferBytes: 64 * 1024,
    });
    const seen: number[] = [];
    let reconnected = false;
    for await (const commit of readerStore.read(batchId)) {
      seen.push(commit.seq);
      if (seen.length === 100) {
        const status = reader.status();
        await reader.reconnect();
        for await (const event of status) if (event.type === 'reconnect') break;
        reconnected = true;
      }
    }
    await reader.close();
    expect(reconnected).toBe(true);
    expect(seen).toHaveLength(400);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('ends a read whose remaining events are purged while it reads them, instead of waiting for them', async () => {
    const batchId = 'purged-mid-read';
    await Promise.all(
      Array.from({ length: 1_000 }, (_, commit) =>
        store.append(
          batchId,
          Array.from({ length: 20 }, (_, index) => completed(batchId, commit * 20 + index)),
        ),
      ),
    );
    const reader = await createEventStore(nats.nc, {
      aggregate: batchAggregate(nats.names),
      readBufferBytes: 16 * 1024,
    });
    const seen: number[] = [];
    for await (const commit of reader.read(batchId)) {
      seen.push(commit.seq);
      if (seen.length === 1) await store.purge(batchId);
    }
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThan(1_000);
    expect(await all(store.read(batchId))).toEqual([]);
  });

  it('purges one batch and nothing else', async () => {
    await store.append('purge-me', [created('purge-me')]);
    await store.append('keep-me', [created('keep-me')]);
    expect(await store.purge('purge-me')).toBe(1);
    expect(await all(store.read('purge-me'))).toEqual([]);
    expect(await all(store.read('keep-me'))).toHaveLength(1);
  });
});
