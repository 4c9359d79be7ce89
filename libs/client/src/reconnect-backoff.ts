/** How long to wait before reconnecting: exponential, capped, with jitter so clients cut off together spread out. */
export interface BackoffOptions {
  /** The first wait's ceiling. */
  initialMs: number;
  /** No wait is longer. */
  maxMs: number;
  /** Each failed attempt multiplies the ceiling by this. */
  factor: number;
  /** The share of the ceiling taken off at random (0: none, 1: anywhere from 0 to the ceiling). */
  jitter: number;
  /** A connection that stayed open this long starts the schedule over. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 250,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
  resetAfterMs: 10_000,
};

/** The wait before reconnect attempt `attempt` (0 for the first); `random` in [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * options.factor ** attempt);
  return Math.round(ceiling * (1 - options.jitter * random()));
}
