import {
  isItemOutcome,
  outcomeKey,
  streamOf,
  type BatchEvent,
  type EventStream,
  type Names,
} from '@batch/contracts';

const CHANNELS: readonly EventStream[] = ['lifecycle', 'items'];
const GUARDED: EventStream = 'lifecycle';

/**
 * Where the Batch lies in the event log, in the shape the event store takes (its `AggregateType`):
 * one stream for every batch, two subjects per batch. Decisions go to `lifecycle` with the expected
 * sequence of that subject, so two orchestrator replicas cannot both decide, while item facts flood
 * `items` without invalidating that check. An outcome is deduplicated by item, attempt and kind, so a
 * redelivered item is stored once; any other event by its id.
 */
export function batchAggregate(names: Names) {
  return {
    streamName: names.eventsStream,
    allEvents: names.allEvents,
    eventsOf: (batchId: string) => names.batchEvents(batchId),
    subjectOf: (batchId: string, channel: EventStream) => names.eventSubject(batchId, channel),
    channels: CHANNELS,
    guarded: GUARDED,
    channelOf: streamOf,
    idOf: (event: BatchEvent) => event.batchId,
    dedupKey: (event: BatchEvent) =>
      isItemOutcome(event) ? outcomeKey(event) : `${event.batchId}/${event.eventId}`,
  };
}
