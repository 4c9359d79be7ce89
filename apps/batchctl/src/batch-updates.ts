import type {
  BatchProgressPayload,
  BatchStatus,
  BatchStatusPayload,
  BatchView,
  ErrorNotificationPayload,
} from '@batch/client';
import { BatchStatus as BatchStatusSchema } from '@batch/contracts';
import { settledOf } from './format.js';
import type { Throughput } from './throughput.js';

export const ENDED: ReadonlySet<BatchStatus> = new Set(['completed', 'failed', 'cancelled']);

/**
 * The view with a notification's counts and status. Notifications carry no token or cost totals:
 * those stay as the last REST answer had them.
 */
export function withCounts(view: BatchView, payload: BatchProgressPayload | BatchStatusPayload): BatchView {
  const status = BatchStatusSchema.safeParse(payload.status);
  return {
    ...view,
    status: status.success ? status.data : view.status,
    total_items: payload.total_items,
    processed_count: payload.processed_count,
    failed_count: payload.failed_count,
    pending_count: payload.pending_count,
    progress_percent: payload.progress_percent,
  };
}

/**
 * What to show after fetching the batch again while notifications stream in: the fetched view,
 * unless the read model is behind the notifications already shown (then only its usage totals).
 */
export function newerView(shown: BatchView, fetched: BatchView): BatchView {
  if (ENDED.has(fetched.status) || settledOf(fetched) >= settledOf(shown)) return fetched;
  const { prompt_tokens, completion_tokens, cost_usd } = fetched;
  return { ...shown, prompt_tokens, completion_tokens, cost_usd };
}

export const throughputOf = (payload: BatchProgressPayload): Throughput => ({
  itemsPerSecond: payload.items_per_second,
  etaSeconds: payload.eta_seconds ?? undefined,
});

/** One line on stderr for an `error` notification: what happened, to which item, how often. */
export function errorLine(error: ErrorNotificationPayload): string {
  const details = [
    error.itemId === undefined ? undefined : `item ${error.itemId}`,
    error.repeatCount > 0
      ? `repeated ${error.repeatCount} ${error.repeatCount === 1 ? 'time' : 'times'}`
      : undefined,
    error.retryAfterSeconds === undefined ? undefined : `retry after ${error.retryAfterSeconds}s`,
  ].filter((detail) => detail !== undefined);
  return `${error.severity} ${error.code} (${error.category}): ${error.userMessage}${details.length > 0 ? ` [${details.join(', ')}]` : ''}\n`;
}
