import type { Names } from '@batch/contracts';
import type { AggregateType } from '@batch/event-store';
import type { OperationEvent } from './bulk-delete.domain.js';

/** Bulk deletes in the event log: one stream, one guarded channel per operation. */
export function operationAggregate(names: Names): AggregateType<OperationEvent, 'lifecycle'> {
  return {
    streamName: names.operationsStream,
    allEvents: names.allOperationEvents,
    eventsOf: (operationId) => names.operationEvents(operationId),
    subjectOf: (operationId, channel) => names.operationEventSubject(operationId, channel),
    channels: ['lifecycle'],
    guarded: 'lifecycle',
    channelOf: () => 'lifecycle',
    idOf: (event) => event.operationId,
    dedupKey: (event) => `${event.operationId}/${event.eventId}`,
  };
}
