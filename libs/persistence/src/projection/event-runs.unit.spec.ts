import { describe, expect, it } from '@jest/globals';
import type { BatchEvent } from '@batch/contracts';
import { lastEventTimes, planRuns } from './event-runs.js';

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;
let ids = 0;
const envelope = (batchId: string, minute = 0) => ({
  eventId: `e${++ids}`,
  batchId,
  occurredAt: at(minute),
  schemaVersion: 1 as const,
});
const completed = (batchId: string, itemId: string, attempt = 1): BatchEvent => ({
  ...envelope(batchId),
  type: 'ItemCompleted',
  data: { itemId, conversationId: `c-${itemId}`, attempt, durationMs: 1 },
});
const failed = (batchId: string, itemId: string, attempt = 1): BatchEvent => ({
  ...envelope(batchId),
  type: 'ItemFailed',
  data: { itemId, attempt, error: { code: 'x', category: 'permanent', message: 'no', retryable: false } },
});
const added = (batchId: string, itemIds: string[], minute = 0): BatchEvent => ({
  ...envelope(batchId, minute),
  type: 'ItemsAdded',
  data: { items: itemIds.map((id) => ({ id, topic: `topic ${id}` })) },
});
const requeued = (batchId: string, itemIds: string[], minute = 0): BatchEvent => ({
  ...envelope(batchId, minute),
  type: 'FailedItemsRequeued',
  data: { itemIds },
});

const shape = (events: BatchEvent[]) =>
  planRuns(events).map((run) =>
    run.kind === 'outcomes'
      ? `outcomes ${run.outcomes.map((o) => `${o.data.itemId}/${o.data.attempt}/${o.type}`).join(' ')}`
      : run.kind === 'items-added'
        ? `added ${run.items.map(({ batchId, item }) => `${batchId}:${item.id}`).join(' ')}`
        : run.event.type,
  );

describe('planning runs of events', () => {
  it('groups consecutive item events and keeps lifecycle events apart, in order', () => {
    expect(
      shape([
        added('b', ['i1', 'i2']),
        added('b', ['i3']),
        requeued('b', []),
        completed('b', 'i1'),
        failed('c', 'i9'),
        requeued('b', ['i2']),
        completed('b', 'i2', 2),
      ]),
    ).toEqual([
      'added b:i1 b:i2 b:i3',
      'FailedItemsRequeued',
      'outcomes i1/1/ItemCompleted i9/1/ItemFailed',
      'FailedItemsRequeued',
      'outcomes i2/2/ItemCompleted',
    ]);
  });

  it('keeps only the first outcome per item and attempt within a run', () => {
    expect(
      shape([
        completed('b', 'i1'),
        failed('b', 'i1'),
        completed('b', 'i1'),
        completed('b', 'i1', 2),
        completed('c', 'i1'),
      ]),
    ).toEqual(['outcomes i1/1/ItemCompleted i1/2/ItemCompleted i1/1/ItemCompleted']);
  });

  it('lets a later run carry an outcome the earlier run already had: a requeue may lie between', () => {
    expect(shape([failed('b', 'i1'), requeued('b', ['i1']), failed('b', 'i1')])).toEqual([
      'outcomes i1/1/ItemFailed',
      'FailedItemsRequeued',
      'outcomes i1/1/ItemFailed',
    ]);
  });

  it('keeps only the first arrival of an item id per batch within a run', () => {
    expect(shape([added('b', ['i1', 'i2', 'i1']), added('b', ['i2', 'i3']), added('c', ['i1'])])).toEqual([
      'added b:i1 b:i2 b:i3 c:i1',
    ]);
  });

  it("names each batch's last event time", () => {
    const times = lastEventTimes([added('b', ['i1'], 1), added('c', ['i1'], 2), requeued('b', [], 3)]);
    expect(Object.fromEntries(times)).toEqual({ b: at(3), c: at(2) });
  });
});
