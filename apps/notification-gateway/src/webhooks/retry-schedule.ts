export interface RetryPolicy {
  /** Waits before the 1st, 2nd... retry; the last repeats. */
  delaysMs: readonly number[];
  /** No attempt is made later than this after the first. */
  maxAgeMs: number;
}

export type AfterFailure = { retryInMs: number } | { giveUp: true };

/**
 * What follows failed attempt number `attempt` (1-based) of a delivery first attempted at
 * `firstAttemptAt`: the next one after its delay, or giving up when that would fall past the
 * delivery's maximum age.
 */
export function afterFailure(
  attempt: number,
  firstAttemptAt: number,
  now: number,
  { delaysMs, maxAgeMs }: RetryPolicy,
): AfterFailure {
  const retryInMs = delaysMs[Math.min(attempt, delaysMs.length) - 1] ?? 0;
  return now + retryInMs - firstAttemptAt > maxAgeMs ? { giveUp: true } : { retryInMs };
}
