import { expect } from '@jest/globals';
import type { BatchEvent, BatchEventType, EventOf, ItemSpec } from '@batch/contracts';
import type { BatchCommand, CommandMetadata } from './batch.commands.js';
import { decide } from './batch.decider.js';
import { fold } from './batch.evolve.js';
import { initialState } from './batch.state.js';
import { DomainError, type DomainErrorCode } from './domain-error.js';

export const BATCH_ID = 'batch_test';
export const USER_ID = 'user-1';
const NOW = '2026-11-23T10:00:00.000Z';

let sequence = 0;
export const metadata = (requestedBy?: string): CommandMetadata => ({
  now: NOW,
  newEventId: () => `evt-${++sequence}`,
  ...(requestedBy ? { requestedBy } : {}),
});

export const itemsOf = (count: number): ItemSpec[] =>
  Array.from({ length: count }, (_, index) => ({ id: `item-${index}`, topic: `topic ${index}` }));

export function fact<T extends BatchEventType>(type: T, data: EventOf<T>['data']): EventOf<T> {
  return {
    eventId: `fact-${++sequence}`,
    type,
    batchId: BATCH_ID,
    occurredAt: NOW,
    schemaVersion: 1,
    data,
  } as EventOf<T>;
}

export const created = (count: number): BatchEvent[] => [
  fact('BatchCreated', {
    batchId: BATCH_ID,
    userId: USER_ID,
    name: 'test',
    config: { provider: 'template' },
    totalItems: count,
  }),
  fact('ItemsAdded', { items: itemsOf(count) }),
];
export const started = () => fact('BatchStarted', {});
export const paused = (reason = 'lunch') => fact('BatchPaused', { reason });
export const completedItem = (index: number, attempt = 1) =>
  fact('ItemCompleted', { itemId: `item-${index}`, conversationId: `conv-${index}`, attempt, durationMs: 5 });
export const failedItem = (index: number, attempt = 1) =>
  fact('ItemFailed', {
    itemId: `item-${index}`,
    attempt,
    error: { code: 'provider_error', category: 'permanent', message: 'no', retryable: false },
  });

type Command = {
  [C in BatchCommand as C['type']]: Omit<C, 'metadata'> & { metadata?: CommandMetadata };
}[BatchCommand['type']];

/** given(events).when(command).then(events) | thenThrows(code) */
export function given(history: BatchEvent[]) {
  return {
    when(command: Command) {
      const run = () =>
        decide({ metadata: metadata(), ...command } as BatchCommand, fold(history, initialState()));
      return {
        then(expected: Array<Pick<BatchEvent, 'type' | 'data'>>) {
          expect(run().map(({ type, data }) => ({ type, data }))).toEqual(expected);
        },
        thenThrows(code: DomainErrorCode) {
          expect(run).toThrow(DomainError);
          try {
            run();
          } catch (error) {
            expect((error as DomainError).code).toBe(code);
          }
        },
      };
    },
  };
}
