import { describe, expect, it } from '@jest/globals';
import { names } from '@batch/contracts';
import { batchAggregate } from './batch.aggregate.js';
import { BATCH_ID, completedItem, created, failedItem, paused, started } from './batch.spec-helpers.js';

// The subjects and keys below are stored in every existing log: they never change.
const batch = batchAggregate(names('ns'));

describe('the batch in the event log', () => {
  it('has one stream, and two subjects per batch under one replay filter', () => {
    expect(batch.streamName).toBe('ns_BATCH_EVENTS');
    expect(batch.allEvents).toBe('ns.batch.events.>');
    expect(batch.eventsOf(BATCH_ID)).toBe(`ns.batch.events.${BATCH_ID}.>`);
    expect(batch.channels.map((channel) => batch.subjectOf(BATCH_ID, channel))).toEqual([
      `ns.batch.events.${BATCH_ID}.lifecycle`,
      `ns.batch.events.${BATCH_ID}.items`,
    ]);
  });

  it('guards lifecycle decisions, and puts items and their outcomes beside them', () => {
    expect(batch.guarded).toBe('lifecycle');
    const [batchCreated, itemsAdded] = created(2);
    expect([batchCreated!, started(), paused()].map(batch.channelOf)).toEqual([
      'lifecycle',
      'lifecycle',
      'lifecycle',
    ]);
    expect([itemsAdded!, completedItem(0), failedItem(1)].map(batch.channelOf)).toEqual([
      'items',
      'items',
      'items',
    ]);
    expect(batch.idOf(paused())).toBe(BATCH_ID);
  });

  it('deduplicates an outcome by item, attempt and kind, and any other event by its id', () => {
    expect(batch.dedupKey(completedItem(3, 2))).toBe(`${BATCH_ID}/item-3/2/completed`);
    expect(batch.dedupKey(failedItem(3, 2))).toBe(`${BATCH_ID}/item-3/2/failed`);
    const pause = paused();
    expect(batch.dedupKey(pause)).toBe(`${BATCH_ID}/${pause.eventId}`);
  });
});
