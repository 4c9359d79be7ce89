import type { DataSource } from 'typeorm';
import { storableText, type RestoreProgress, type RestoreResult, type RestoreSource } from '@batch/contracts';
import {
  inspectBackup,
  nestedChunks,
  readRecords,
  RESTORED_TABLES,
  tableChunks,
  type OpenBackup,
  type RecordChunk,
  type TableCounts,
} from './backup-records.js';
import { restoreProgressStore, type StoredRestoreProgress } from './restore-progress.js';
import { withRestoreConnections } from './restore-connection.js';
import { DEFAULT_RESTORE_BATCH_SIZE, writeChunks } from './restore-writer.js';

/** Two statements in flight: PostgreSQL writes one chunk while the answer of the other comes back. */
export const DEFAULT_RESTORE_CONNECTIONS = 2;

export interface RestoreOptions {
  ds: DataSource;
  open: OpenBackup;
  /** Who restores: the conversations become theirs. */
  userId: string;
  restoreId: string;
  /** Where the backup came from, kept with the progress. */
  source: RestoreSource;
  /** Records per upsert statement (`RESTORE_BATCH_SIZE`, default 100). */
  batchSize?: number;
  /** Statements in flight at once, each on its own connection (default 2). */
  connectionCount?: number;
  /** How long the progress stays readable after the end (`RESTORE_PROGRESS_TTL_MS`, default 1 h). */
  progressTtlMs?: number;
  /** Least time between two progress writes while the restore runs (default 250 ms). */
  progressIntervalMs?: number;
  now?: () => Date;
  /** Called each time the progress is written: a few times a second at most, and at the end. */
  onProgress?: (progress: RestoreProgress) => void;
}

export interface PreparedRestore {
  readonly restoreId: string;
  readonly counts: TableCounts;
  /** Restores the tables in order; rejects, its progress `error`, if it cannot go on. */
  run(): Promise<RestoreResult>;
}

/**
 * Checks the whole backup (a BackupFormatError rejects before anything is written or any progress
 * exists), then creates its progress, readable at once as `starting`. `run` does the work,
 * conversations before the turns that need them: a v1.0 backup in one more read, each chunk of
 * conversations followed by their turns; seed 003's tables one read each, conversations first.
 */
export async function prepareRestore(options: RestoreOptions): Promise<PreparedRestore> {
  const {
    ds,
    open,
    userId,
    restoreId,
    batchSize = DEFAULT_RESTORE_BATCH_SIZE,
    connectionCount = DEFAULT_RESTORE_CONNECTIONS,
  } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`bad batch size ${batchSize}`);
  const { counts, turnsNested } = await inspectBackup(open);
  const progress = restoreProgressStore(ds, options);
  const tracker = await progress.create(restoreId, userId, options.source, counts, options.onProgress);
  let started = false;

  return {
    restoreId,
    counts,
    async run() {
      if (started) throw new Error(`restore ${restoreId} has already run`);
      started = true;
      try {
        await withRestoreConnections(ds, { count: connectionCount, name: restoreId }, async (connections) => {
          const write = (groups: AsyncIterable<RecordChunk[]>) =>
            writeChunks({ connections, userId, groups, onChunk: (chunk) => tracker.chunkWritten(chunk) });
          if (turnsNested) {
            await tracker.startTable('conversations');
            if (counts.conversations > 0) await write(nestedChunks(open, batchSize));
            return;
          }
          for (const table of RESTORED_TABLES) {
            await tracker.startTable(table);
            if (counts[table] > 0) await write(tableChunks(readRecords(open, table), table, batchSize));
          }
        });
        return resultOf(restoreId, await tracker.complete());
      } catch (error) {
        // Best effort: when PostgreSQL is gone, the row cannot say so either.
        await tracker.fail(failureOf(error)).catch(() => undefined);
        throw error;
      }
    },
  };
}

const failureOf = (error: unknown): string =>
  storableText(`restore failed: ${error instanceof Error ? error.message : String(error)}`);

const resultOf = (restoreId: string, progress: StoredRestoreProgress): RestoreResult => ({
  success: progress.errorCount === 0,
  progressId: restoreId,
  processed: progress.processed,
  errors: progress.errors,
  results: progress.counts,
});
