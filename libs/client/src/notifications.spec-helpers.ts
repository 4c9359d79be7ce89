import type { BatchProgressPayload, ControlMessage, Notification } from '@batch/contracts';

const AT = '2026-01-01T00:00:00.000Z';

export const progressPayload = (processed: number, total = 10): BatchProgressPayload => ({
  batch_id: 'b1',
  status: 'running',
  total_items: total,
  processed_count: processed,
  failed_count: 0,
  pending_count: total - processed,
  progress_percent: (processed / total) * 100,
  items_per_second: 5,
  eta_seconds: (total - processed) / 5,
});

/** A `batch.progress` of batch b1 with `processed` of 10 items done. */
export const progress = (seq: number, processed = seq): Notification => ({
  seq,
  type: 'batch.progress',
  topic: 'batch:b1',
  at: AT,
  payload: progressPayload(processed),
});

export const completed = (seq: number): Notification => ({
  seq,
  type: 'batch.status',
  topic: 'batch:b1',
  at: AT,
  payload: {
    batch_id: 'b1',
    status: 'completed',
    previous_status: 'running',
    reason: null,
    total_items: 10,
    processed_count: 10,
    failed_count: 0,
    pending_count: 0,
    progress_percent: 100,
  },
});

export const welcome = (lastSeq: number): ControlMessage => ({ type: 'welcome', userId: 'u1', lastSeq });

export const text = (message: unknown): string => JSON.stringify(message);
