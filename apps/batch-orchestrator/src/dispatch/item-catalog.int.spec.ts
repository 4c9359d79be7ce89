import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { batchAggregate } from '@batch/batch-domain';
import type { BatchEvent, EventOf, ItemSpec } from '@batch/contracts';
import { createEventStore, type EventStore } from '@batch/event-store';
import { testNats, type TestNats } from '@batch/testing';
import { ItemCatalog } from './item-catalog.js';

let eventCounter = 0;
const envelope = (batchId: string) => ({
  eventId: `catalog-${++eventCounter}`,
  batchId,
  occurredAt: '2026-12-01T10:00:00.000Z',
  schemaVersion: 1 as const,
});
const itemsAdded = (batchId: string, items: ItemSpec[]): EventOf<'ItemsAdded'> => ({
  ...envelope(batchId),
  type: 'ItemsAdded',
  data: { items },
});
const completed = (batchId: string, itemId: string): EventOf<'ItemCompleted'> => ({
  ...envelope(batchId),
  type: 'ItemCompleted',
  data: { itemId, conversationId: `c-${itemId}`, attempt: 1, durationMs: 1 },
});
const spec = (position: number): ItemSpec => ({
  id: `item-${position}`,
  topic: `topic ${position}`,
  ...(position % 3 === 0 ? { parameters: { position } } : {}),
});

let nats: TestNats;
let events: EventStore<BatchEvent>;

/** Counts the store's reads of single commits. */
function countingReads(store: EventStore<BatchEvent>): {
  store: EventStore<BatchEvent>;
  reads: () => number;
} {
  let reads = 0;
  return {
    store: {
      ...store,
      readOne: (...args) => {
        reads++;
        return store.readOne(...args);
      },
    },
    reads: () => reads,
  };
}

beforeAll(async () => {
  nats = await testNats();
  events = await createEventStore(nats.nc, { aggregate: batchAggregate(nats.names) });
  await events.ensure();
});
afterAll(() => nats.close());

describe('the item catalog', () => {
  // 10 commits of 100 items, then outcomes: the table's ids are the items in order.
  const batchId = 'catalog-batch';
  const ids = Array.from({ length: 1_000 }, (_, position) => spec(position).id);

  beforeAll(async () => {
    for (let commit = 0; commit < 10; commit++)
      await events.append(batchId, [
        itemsAdded(
          batchId,
          ids.slice(commit * 100, (commit + 1) * 100).map((_, k) => spec(commit * 100 + k)),
        ),
      ]);
    await events.append(batchId, [completed(batchId, 'item-0')]);
  });

  it('answers the specs at the positions asked, in their order, reading only the commits it needs', async () => {
    const { store, reads } = countingReads(events);
    const catalog = new ItemCatalog(store, batchId, 300);
    expect(await catalog.specsAt([5, 0, 99], ids)).toEqual([spec(5), spec(0), spec(99)]);
    expect(reads()).toBe(1);
    expect(await catalog.specsAt([250, 101], ids)).toEqual([spec(250), spec(101)]);
    expect(reads()).toBe(3);
  });

  it('keeps a bounded number of items decoded and reads a dropped commit again by its sequence', async () => {
    const { store, reads } = countingReads(events);
    const catalog = new ItemCatalog(store, batchId, 200);
    expect(await catalog.specsAt([999], ids)).toEqual([spec(999)]);
    expect(reads()).toBe(10);
    // The last commits read are still decoded: no read.
    expect(await catalog.specsAt([950, 850], ids)).toEqual([spec(950), spec(850)]);
    expect(reads()).toBe(10);
    // The first commit was dropped (200 items kept): one read of it by its sequence.
    expect(await catalog.specsAt([7], ids)).toEqual([spec(7)]);
    expect(reads()).toBe(11);
  });

  it('skips an id added again, as the item table did, keeping later positions right', async () => {
    const racing = 'catalog-racing';
    await events.append(racing, [itemsAdded(racing, [spec(0), spec(1)])]);
    await events.append(racing, [itemsAdded(racing, [spec(1), spec(2)])]);
    const catalog = new ItemCatalog(events, racing);
    expect(await catalog.specsAt([2, 1, 0], ['item-0', 'item-1', 'item-2'])).toEqual([
      spec(2),
      spec(1),
      spec(0),
    ]);
  });

  it('refuses a position no ItemsAdded commit holds instead of sending an item without its spec', async () => {
    const catalog = new ItemCatalog(events, batchId);
    await expect(catalog.specsAt([1_000], [...ids, 'item-1000'])).rejects.toThrow(
      /no ItemsAdded event for its item at 1000/,
    );
  });
});
