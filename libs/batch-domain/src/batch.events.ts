import { SCHEMA_VERSION, type BatchEventType, type EventOf } from '@batch/contracts';

/** When an event happened and the id it gets: passed in, never read from the clock or a random source here. */
export interface EventMetadata {
  now: string;
  newEventId: () => string;
}

/** Every event of the Batch is made here: its envelope (id, time, schema version) and its data. */
export function batchEvent<T extends BatchEventType>(
  type: T,
  batchId: string,
  data: EventOf<T>['data'],
  metadata: EventMetadata,
): EventOf<T> {
  return {
    eventId: metadata.newEventId(),
    type,
    batchId,
    occurredAt: metadata.now,
    schemaVersion: SCHEMA_VERSION,
    data,
  } as EventOf<T>;
}

/** A worker's fact: the item's conversation is stored. */
export const itemCompleted = (
  batchId: string,
  data: EventOf<'ItemCompleted'>['data'],
  metadata: EventMetadata,
) => batchEvent('ItemCompleted', batchId, data, metadata);

/** A worker's (or the orchestrator's) fact: the item failed in this attempt. */
export const itemFailed = (batchId: string, data: EventOf<'ItemFailed'>['data'], metadata: EventMetadata) =>
  batchEvent('ItemFailed', batchId, data, metadata);
