/** Items in a batch's first work messages, before any of its outcomes told how long a call takes. */
export const FIRST_MESSAGE_ITEMS = 10;
/** A call answered faster than this counts as this fast: a local provider's 0 ms sizes like 0.1 ms. */
const FLOOR_CALL_MS = 0.1;
/** Weight of the newest sample in the running estimate. */
const SMOOTHING = 0.3;

export interface MessageSizing {
  /** The most items in one message (ITEMS_PER_WORK_MESSAGE). */
  max: number;
  /** About how long the calls of one message should take in all (WORK_MESSAGE_TARGET_MS; 0: always `max`). */
  targetMs: number;
}

/**
 * Items per work message for a batch whose provider calls take `callMs` (undefined: not known yet).
 * Fast calls go in large messages, so the cost of a message (its publish, acks, the worker's checks
 * and its transaction) is shared by many items; slow calls go in small ones, so that the batch's
 * items spread over every worker's slots rather than waiting behind one worker's long message.
 */
export function itemsPerMessage(callMs: number | undefined, { max, targetMs }: MessageSizing): number {
  if (targetMs === 0) return max;
  if (callMs === undefined) return Math.min(max, FIRST_MESSAGE_ITEMS);
  return Math.max(1, Math.min(max, Math.floor(targetMs / Math.max(callMs, FLOOR_CALL_MS))));
}

/** The running estimate of a call's duration after a sample of calls (ms each). */
export function estimateCallMs(previous: number | undefined, sample: readonly number[]): number | undefined {
  if (sample.length === 0) return previous;
  const mean = sample.reduce((sum, ms) => sum + ms, 0) / sample.length;
  return previous === undefined ? mean : previous + SMOOTHING * (mean - previous);
}
