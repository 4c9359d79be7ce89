import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import { testNats, type TestNats } from '@batch/testing';
import { createAggregateStore, type Decider } from './aggregate-store.js';
import type { AggregateType } from './aggregate-type.js';
import { createEventStore, type EventStore } from './event-store.js';
import { createSnapshotStore, type SnapshotStore } from './snapshot-store.js';

// A second aggregate type, not a batch: the same stores keep it, on its own stream and subjects.

interface Counted {
  type: 'Counted';
  counterId: string;
  eventId: string;
  to: number;
}
interface CountUp {
  counterId: string;
  newEventId: () => string;
}
interface Counter {
  value: number;
}

/** Counts up one at a time: a decision made on a stale value would repeat a number. */
const counterDecider: Decider<Counter, CountUp, Counted> = {
  initialState: () => ({ value: 0 }),
  evolve: (_, event) => ({ value: event.to }),
  decide: (command, state) => [
    { type: 'Counted', counterId: command.counterId, eventId: command.newEventId(), to: state.value + 1 },
  ],
  toSnapshot: (state) => state,
  fromSnapshot: (snapshot: Counter) => snapshot,
};

const counterType = (namespace: string): AggregateType<Counted, 'steps'> => ({
  streamName: `${namespace}_COUNTERS`,
  allEvents: `${namespace}.counter.>`,
  eventsOf: (counterId) => `${namespace}.counter.${counterId}.>`,
  subjectOf: (counterId, channel) => `${namespace}.counter.${counterId}.${channel}`,
  channels: ['steps'],
  guarded: 'steps',
  channelOf: () => 'steps',
  idOf: (event) => event.counterId,
  dedupKey: (event) => `${event.counterId}/${event.eventId}`,
});

let ids = 0;
const countUp = (counterId: string): CountUp => ({ counterId, newEventId: () => `e${++ids}` });
const counted = (counterId: string, to: number): Counted => ({
  type: 'Counted',
  counterId,
  eventId: `e${++ids}`,
  to,
});

let nats: TestNats;
let events: EventStore<Counted, 'steps'>;
let snapshots: SnapshotStore;
const counters = (store: EventStore<Counted> = events) =>
  createAggregateStore({ events: store, snapshots, decider: counterDecider });

async function stored(counterId: string): Promise<number[]> {
  const values: number[] = [];
  for await (const commit of events.read(counterId)) values.push(...commit.events.map((event) => event.to));
  return values;
}

beforeAll(async () => {
  nats = await testNats();
  events = await createEventStore(nats.nc, { aggregate: counterType(nats.namespace) });
  await events.ensure();
  snapshots = await createSnapshotStore(nats.nc, { bucket: `${nats.namespace}_COUNTER_SNAPSHOTS` });
});
afterAll(() => nats.close());

describe('the aggregate store, for a second aggregate type', () => {
  it('keeps it in its own stream, on its own subjects, with its own snapshots', async () => {
    const counterId = 'own';
    const store = counters();
    await store.handle(counterId, countUp(counterId));
    await store.handle(counterId, countUp(counterId));
    const jsm = await jetstreamManager(nats.nc);
    const info = await jsm.streams.info(`${nats.namespace}_COUNTERS`);
    expect(info.config.subjects).toEqual([`${nats.namespace}.counter.>`]);
    const last = await jsm.streams.getMessage(info.config.name, { seq: info.state.last_seq });
    expect(last?.subject).toBe(`${nats.namespace}.counter.own.steps`);
    await store.snapshot(counterId);
    expect(await counters().load(counterId)).toMatchObject({ state: { value: 2 }, eventsSinceSnapshot: 0 });
  });

  it('decides again on a fresh value when another replica appended between its read and its append', async () => {
    const counterId = 'raced';
    const other = counters();
    let raced = false;
    const slow = counters({
      ...events,
      append: async (id, commit, options) => {
        if (!raced) {
          raced = true;
          await other.handle(id, countUp(id));
        }
        return events.append(id, commit, options);
      },
    });
    const handled = await slow.handle(counterId, countUp(counterId));
    expect(raced).toBe(true);
    expect(handled.events.map((event) => event.to)).toEqual([2]);
    expect(await stored(counterId)).toEqual([1, 2]);
  });

  it('drops a repeated commit, of one event or of several', async () => {
    const counterId = 'repeated';
    const one = counted(counterId, 1);
    const more = [counted(counterId, 2), counted(counterId, 3)];
    expect((await events.append(counterId, [one])).duplicate).toBe(false);
    expect((await events.append(counterId, [one])).duplicate).toBe(true);
    expect((await events.append(counterId, more)).duplicate).toBe(false);
    expect((await events.append(counterId, more)).duplicate).toBe(true);
    expect(await stored(counterId)).toEqual([1, 2, 3]);
    expect((await counters().load(counterId)).state).toEqual({ value: 3 });
  });
});
