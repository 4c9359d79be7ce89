import { hostname } from 'node:os';
import { z } from 'zod';
import { DaysOld } from '@batch/contracts';
import { baseSettings, positiveInt } from '@batch/platform';
import { isCronExpression } from '../cleanup/cleanup-schedule.js';

/** Every setting of the orchestrator, from the environment, with its default (listed in the README). */
export const OrchestratorConfig = baseSettings.extend({
  /** Items of one batch handed to workers and not yet settled, at most. */
  DISPATCH_WINDOW: positiveInt.default(1000),
  /** The most items in one work message. */
  ITEMS_PER_WORK_MESSAGE: positiveInt.default(100),
  /**
   * A work message holds about this many milliseconds of provider calls, from the batch's measured
   * call durations (fast calls: large messages, slow calls: small ones); 0: always ITEMS_PER_WORK_MESSAGE.
   */
  WORK_MESSAGE_TARGET_MS: z.coerce.number().int().nonnegative().default(250),
  SNAPSHOT_EVERY_EVENTS: positiveInt.default(10_000),
  /** Names this replica's hold on the batches it dispatches; a restarted replica takes its own back at once. */
  ORCHESTRATOR_REPLICA_ID: z.string().min(1).default(hostname()),
  /** A replica that stops renewing its hold on a batch loses it to another after this long. */
  DISPATCH_LEASE_MS: positiveInt.default(15_000),
  /** A work message goes to another worker when its worker has not heartbeated for this long. */
  WORK_ACK_WAIT_MS: positiveInt.default(10_000),
  WORK_MAX_DELIVER: positiveInt.default(5),
  /** A failed dispatch is tried again after this, doubling (1, 2, 4 ... 30 s). */
  DISPATCH_RETRY_BASE_MS: positiveInt.default(1_000),
  /** A running batch's progress fact (what its user's notifications show) is sent this often at most. */
  PROGRESS_FACT_INTERVAL_MS: positiveInt.default(500),
  EVENTS_REPLICAS: positiveInt.default(1),
  EVENTS_DUPLICATE_WINDOW_MS: positiveInt.default(120_000),
  /**
   * When set, every user's batches that ended more than CLEANUP_DAYS_OLD days ago are removed on
   * this cron schedule (UTC; 5 fields, or 6 with seconds first), e.g. `0 2 * * *`. Unset: never.
   */
  CLEANUP_SCHEDULE: z
    .string()
    .refine(isCronExpression, 'a cron expression, e.g. "0 2 * * *" (daily at 02:00 UTC)')
    .optional(),
  CLEANUP_DAYS_OLD: z.coerce.number().pipe(DaysOld).default(7),
});
export type OrchestratorConfig = z.infer<typeof OrchestratorConfig>;
