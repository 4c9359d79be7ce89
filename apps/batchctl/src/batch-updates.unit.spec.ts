import { describe, expect, it } from '@jest/globals';
import type { BatchProgressPayload, BatchView, ErrorNotificationPayload } from '@batch/client';
import { errorLine, newerView, throughputOf, withCounts } from './batch-updates.js';

const view = (settled: number, extra: Partial<BatchView> = {}): BatchView => ({
  batch_id: 'b1',
  name: 'n',
  status: 'running',
  total_items: 100,
  processed_count: settled,
  failed_count: 0,
  pending_count: 100 - settled,
  progress_percent: settled,
  config: { provider: 'template' },
  created_at: '2026-01-01T00:00:00.000Z',
  started_at: '2026-01-01T00:00:00.000Z',
  paused_at: null,
  pause_reason: null,
  completed_at: null,
  prompt_tokens: 10,
  completion_tokens: 20,
  cost_usd: 0.5,
  last_checkpoint_at: null,
  ...extra,
});

const progress = (processed: number, failed: number, status = 'running'): BatchProgressPayload => ({
  batch_id: 'b1',
  status,
  total_items: 100,
  processed_count: processed,
  failed_count: failed,
  pending_count: 100 - processed - failed,
  progress_percent: processed + failed,
  items_per_second: 12.5,
  eta_seconds: null,
});

describe('a view updated by notifications', () => {
  it('takes the counts and status of a notification and keeps the usage totals', () => {
    expect(withCounts(view(10), progress(60, 3, 'paused'))).toEqual(
      view(0, {
        status: 'paused',
        processed_count: 60,
        failed_count: 3,
        pending_count: 37,
        progress_percent: 63,
      }),
    );
  });

  it('keeps its status when a notification names one it does not know', () => {
    expect(withCounts(view(10), progress(11, 0, 'thinking')).status).toBe('running');
  });

  it('reads the pace and ETA the gateway computed', () => {
    expect(throughputOf(progress(1, 0))).toEqual({ itemsPerSecond: 12.5, etaSeconds: undefined });
    expect(throughputOf({ ...progress(1, 0), eta_seconds: 8 }).etaSeconds).toBe(8);
  });
});

describe('a view fetched while notifications stream in', () => {
  it('replaces what is shown when it is as far or further', () => {
    const fetched = view(50, { prompt_tokens: 99 });
    expect(newerView(view(40), fetched)).toBe(fetched);
  });

  it('does not go back when the read model is behind, but takes its usage totals', () => {
    expect(newerView(view(70), view(50, { prompt_tokens: 99, completion_tokens: 98, cost_usd: 2 }))).toEqual(
      view(70, { prompt_tokens: 99, completion_tokens: 98, cost_usd: 2 }),
    );
  });

  it('always takes an ended batch', () => {
    const cancelled = view(5, { status: 'cancelled' });
    expect(newerView(view(70), cancelled)).toBe(cancelled);
  });
});

describe('an error notification on stderr', () => {
  const error: ErrorNotificationPayload = {
    errorId: 'e1',
    code: 'ERR_API_RATE_LIMIT',
    category: 'action_required',
    severity: 'warning',
    userMessage: 'The provider is rate limiting requests.',
    retryable: true,
    dedupKey: 'k',
    repeatCount: 0,
    batchId: 'b1',
    occurredAt: '2026-01-01T00:00:00.000Z',
  };

  it('shows its severity, code, category and message', () => {
    expect(errorLine(error)).toBe(
      'warning ERR_API_RATE_LIMIT (action_required): The provider is rate limiting requests.\n',
    );
  });

  it('says which item, how many more times and when to retry', () => {
    expect(errorLine({ ...error, itemId: 'item-7', repeatCount: 4, retryAfterSeconds: 30 })).toBe(
      'warning ERR_API_RATE_LIMIT (action_required): The provider is rate limiting requests. [item item-7, repeated 4 times, retry after 30s]\n',
    );
    expect(errorLine({ ...error, repeatCount: 1 })).toMatch(/\[repeated 1 time\]\n$/);
  });
});
