/**
 * What a toast is for, and so how it looks and how long it stays (seed 004 prompt 7): success and
 * info 4 s, warnings 5 s, temporary errors amber for 5 s, permanent errors red until dismissed,
 * action-required (a rate limit, a refused key, a spent budget) blue until dealt with.
 */
export type ToastKind = 'success' | 'info' | 'warning' | 'temporary' | 'permanent' | 'action';

export const TOAST_DURATION_MS: Record<ToastKind, number> = {
  success: 4000,
  info: 4000,
  warning: 5000,
  temporary: 5000,
  permanent: Number.POSITIVE_INFINITY,
  action: Number.POSITIVE_INFINITY,
};

/** Same toast again within this window: the one shown counts the repeat instead of a second toast. */
export const DEDUP_WINDOW_MS = 5000;

/** Errors a screen reader announces at once; the others wait for a pause (polite). */
export const isAssertive = (kind: ToastKind): boolean => kind === 'permanent' || kind === 'action';

/** "45s", "1m 5s": the rate-limit countdown. */
export function formatCountdown(totalSeconds: number): string {
  const seconds = Math.max(0, Math.ceil(totalSeconds));
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}

/** Whole seconds left until `deadline` (ms since the epoch), never below 0. */
export const secondsUntil = (deadline: number, now: number): number =>
  Math.max(0, Math.ceil((deadline - now) / 1000));
