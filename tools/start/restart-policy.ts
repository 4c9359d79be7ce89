/** Exponential backoff for a process that keeps dying, forgiven once it stays up long enough. */
export interface RestartPolicy {
  /** Wait before the first restart; it doubles with each restart in a row. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A process that ran at least this long before it died starts again from baseDelayMs. */
  resetAfterMs: number;
}

export interface RestartDecision {
  delayMs: number;
  /** Restarts in a row, this one included: what the next decision is based on. */
  restarts: number;
}

/** When to restart a process that died after `uptimeMs`, having been restarted `restartsInARow` times. */
export function nextRestart(
  policy: RestartPolicy,
  restartsInARow: number,
  uptimeMs: number,
): RestartDecision {
  const previous = uptimeMs >= policy.resetAfterMs ? 0 : restartsInARow;
  return {
    delayMs: Math.min(policy.baseDelayMs * 2 ** previous, policy.maxDelayMs),
    restarts: previous + 1,
  };
}
