import { z } from 'zod';
import { baseSettings, positiveInt } from '@batch/platform';

/** Every setting of the backup service, from the environment, with its default (listed in the README). */
export const BackupConfig = baseSettings.extend({
  S3_ENDPOINT: z.url().default('http://127.0.0.1:9000'),
  S3_ACCESS_KEY: z.string().default('S3RVER'),
  S3_SECRET_KEY: z.string().default('S3RVER'),
  S3_BUCKET: z.string().min(3).default('batch-backups'),
  S3_REGION: z.string().default('us-east-1'),
  /** Uploads go in parts of this size; an upload holds two parts in memory at most. */
  S3_PART_SIZE_MB: positiveInt.min(5).default(8),
  /** A backup's object and row expire this many days after it was made. */
  BACKUP_RETENTION_DAYS: positiveInt.default(7),
  /** How often expired backups are deleted and marked `expired` (stores without lifecycle rules too). */
  BACKUP_SWEEP_INTERVAL_MS: positiveInt.default(3_600_000),
  /** Conversations read from PostgreSQL per query while a backup streams. */
  BACKUP_PAGE_SIZE: positiveInt.max(10_000).default(1_000),
  /** Records per upsert statement while restoring. */
  RESTORE_BATCH_SIZE: positiveInt.max(10_000).default(100),
  /** A restore's progress stays readable this long after it ended. */
  RESTORE_PROGRESS_TTL_MS: positiveInt.default(3_600_000),
  /** A bulk delete waiting for its user's confirmation ends `expired`, nothing deleted, after this. */
  DELETE_CONFIRM_TIMEOUT_MS: positiveInt.default(3_600_000),
  EVENTS_REPLICAS: positiveInt.default(1),
});
export type BackupConfig = z.infer<typeof BackupConfig>;
