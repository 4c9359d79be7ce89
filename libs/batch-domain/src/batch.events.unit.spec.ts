import { describe, expect, it } from '@jest/globals';
import { BatchEvent, SCHEMA_VERSION } from '@batch/contracts';
import { itemCompleted, itemFailed } from './batch.events.js';

const metadata = { now: '2026-11-30T10:00:00.000Z', newEventId: () => 'e-1' };

describe('outcome events', () => {
  it('are made with the envelope from their metadata, and match the event schema', () => {
    const completed = itemCompleted(
      'b1',
      { itemId: 'i1', conversationId: 'c1', attempt: 2, durationMs: 5 },
      metadata,
    );
    const failed = itemFailed(
      'b1',
      {
        itemId: 'i2',
        attempt: 1,
        error: { code: 'x', category: 'permanent', message: 'no', retryable: false },
      },
      metadata,
    );
    for (const event of [completed, failed]) {
      expect(event).toMatchObject({
        eventId: 'e-1',
        batchId: 'b1',
        occurredAt: metadata.now,
        schemaVersion: SCHEMA_VERSION,
      });
      expect(BatchEvent.safeParse(event).success).toBe(true);
    }
    expect(completed.type).toBe('ItemCompleted');
    expect(failed.type).toBe('ItemFailed');
  });
});
