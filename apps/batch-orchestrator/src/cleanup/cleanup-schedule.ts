import { Cron } from 'croner';

/** Scheduled cleanups run on UTC, whatever the host's time zone: `0 2 * * *` is 02:00 UTC everywhere. */
export const CLEANUP_TIME_ZONE = 'UTC';

/** Whether croner takes this expression (5 fields, or 6 with seconds first). */
export function isCronExpression(expression: string): boolean {
  try {
    new Cron(expression, { paused: true, timezone: CLEANUP_TIME_ZONE });
    return true;
  } catch {
    return false;
  }
}
