import type { DataSource } from 'typeorm';
import type { RestoreProgress, RestoreSource } from '@batch/contracts';
import { RESTORED_TABLES, type RestoredTable, type TableCounts } from './backup-records.js';
import type { WrittenChunk } from './restore-writer.js';

/** How long a restore's progress stays readable after it ended (`RESTORE_PROGRESS_TTL_MS`). */
export const DEFAULT_RESTORE_PROGRESS_TTL_MS = 3_600_000;
/** A running restore's progress is written at most this often; its end always is. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 250;
/** Errors kept in the progress (seed 003 lists them all; a file of bad records would make megabytes). */
export const MAX_PROGRESS_ERRORS = 1_000;

/** Seed 003's progress as stored, plus how many errors there were in all (`errors` holds the first 1,000). */
export interface StoredRestoreProgress extends RestoreProgress {
  errorCount: number;
}

/* The progress of a restore, pure: each step returns the next state. */

export function startingProgress(counts: TableCounts, now: Date): StoredRestoreProgress {
  const at = now.toISOString();
  return {
    model: 'starting',
    processed: 0,
    total: RESTORED_TABLES.reduce((sum, table) => sum + counts[table], 0),
    counts: Object.fromEntries(
      RESTORED_TABLES.map((table) => [table, { processed: 0, total: counts[table] }]),
    ),
    recordId: null,
    errors: [],
    errorCount: 0,
    startedAt: at,
    updatedAt: at,
  };
}

export const tableStarted = (
  progress: StoredRestoreProgress,
  table: RestoredTable,
  now: Date,
): StoredRestoreProgress => ({ ...progress, model: table, updatedAt: now.toISOString() });

export function chunkWritten(
  progress: StoredRestoreProgress,
  chunk: WrittenChunk,
  now: Date,
): StoredRestoreProgress {
  const table = progress.counts[chunk.table] ?? { processed: 0, total: 0 };
  const room = Math.max(0, MAX_PROGRESS_ERRORS - progress.errors.length);
  return {
    ...progress,
    model: chunk.table,
    processed: progress.processed + chunk.processed,
    counts: { ...progress.counts, [chunk.table]: { ...table, processed: table.processed + chunk.processed } },
    recordId: chunk.recordId ?? progress.recordId,
    errors:
      room > 0 && chunk.errors.length > 0
        ? [...progress.errors, ...chunk.errors.slice(0, room)]
        : progress.errors,
    errorCount: progress.errorCount + chunk.errors.length,
    updatedAt: now.toISOString(),
  };
}

/** `completed`, or `error` with why the restore stopped. */
export function restoreEnded(
  progress: StoredRestoreProgress,
  now: Date,
  failure?: string,
): StoredRestoreProgress {
  const at = now.toISOString();
  if (failure === undefined) return { ...progress, model: 'completed', updatedAt: at };
  const errors =
    progress.errors.length < MAX_PROGRESS_ERRORS
      ? [...progress.errors, failure]
      : [...progress.errors.slice(0, MAX_PROGRESS_ERRORS - 1), failure];
  return { ...progress, model: 'error', errors, errorCount: progress.errorCount + 1, updatedAt: at };
}

/** One restore's progress, kept in memory and written to its row now and then. */
export interface RestoreProgressTracker {
  readonly progress: StoredRestoreProgress;
  startTable(table: RestoredTable): Promise<void>;
  chunkWritten(chunk: WrittenChunk): Promise<void>;
  /** Writes the end, readable until `progressTtlMs` from now. */
  complete(): Promise<StoredRestoreProgress>;
  fail(message: string): Promise<StoredRestoreProgress>;
}

export interface RestoreProgressStore {
  /** The restore's row, readable at once (`starting`); a restore taken on again starts over. */
  create(
    restoreId: string,
    userId: string,
    source: RestoreSource,
    counts: TableCounts,
    onWrite?: (progress: StoredRestoreProgress) => void,
  ): Promise<RestoreProgressTracker>;
  /** The user's restore, unless it is another user's, unknown, or expired. */
  get(userId: string, restoreId: string): Promise<StoredRestoreProgress | undefined>;
  /** Deletes the restores whose progress expired; returns how many. */
  deleteExpired(): Promise<number>;
}

export interface RestoreProgressOptions {
  progressTtlMs?: number;
  /** Least time between two writes of a running restore's progress. */
  progressIntervalMs?: number;
  now?: () => Date;
}

/** Restores' progress in the `restores` table. */
export function restoreProgressStore(
  ds: DataSource,
  options: RestoreProgressOptions = {},
): RestoreProgressStore {
  const {
    progressTtlMs = DEFAULT_RESTORE_PROGRESS_TTL_MS,
    progressIntervalMs = DEFAULT_PROGRESS_INTERVAL_MS,
    now = () => new Date(),
  } = options;

  return {
    async create(restoreId, userId, source, counts, onWrite) {
      let progress = startingProgress(counts, now());
      // A restore taken on again after a restart starts its progress over.
      await ds.query(
        `INSERT INTO restores (restore_id, user_id, source, progress) VALUES ($1, $2, $3, $4)
         ON CONFLICT (restore_id) DO UPDATE SET progress = EXCLUDED.progress, expires_at = NULL`,
        [restoreId, userId, JSON.stringify(source), JSON.stringify(progress)],
      );
      let writtenAt = now().getTime();

      const write = async (expiresAt: Date | null) => {
        await ds.query(`UPDATE restores SET progress = $2, expires_at = $3 WHERE restore_id = $1`, [
          restoreId,
          JSON.stringify(progress),
          expiresAt,
        ]);
        writtenAt = now().getTime();
        onWrite?.(progress);
      };
      // Coalesced: the state changes with every chunk, the row a few times a second.
      const changed = async (next: StoredRestoreProgress) => {
        progress = next;
        if (now().getTime() - writtenAt >= progressIntervalMs) await write(null);
      };
      const end = async (failure?: string) => {
        progress = restoreEnded(progress, now(), failure);
        await write(new Date(now().getTime() + progressTtlMs));
        return progress;
      };

      return {
        get progress() {
          return progress;
        },
        startTable: (table) => changed(tableStarted(progress, table, now())),
        chunkWritten: (chunk) => changed(chunkWritten(progress, chunk, now())),
        complete: () => end(),
        fail: (message) => end(message),
      };
    },

    async get(userId, restoreId) {
      const [row]: { progress: StoredRestoreProgress }[] = await ds.query(
        `SELECT progress FROM restores
          WHERE restore_id = $1 AND user_id = $2 AND (expires_at IS NULL OR expires_at > $3)`,
        [restoreId, userId, now()],
      );
      return row?.progress;
    },

    async deleteExpired() {
      const [{ count }]: { count: number }[] = await ds.query(
        `WITH deleted AS (DELETE FROM restores WHERE expires_at <= $1 RETURNING 1) SELECT count(*)::int AS count FROM deleted`,
        [now()],
      );
      return count;
    },
  };
}
