import { z } from 'zod';
import type { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from '@batch/persistence';
import { BackupId, type BackupStatus, type BackupView } from '@batch/contracts';

/** Backups are listed newest first: created_at, then backup id to break ties. */
const BackupCursor = z.tuple([z.iso.datetime({ offset: true }), BackupId]);

interface BackupRow {
  backup_id: string;
  status: BackupStatus;
  backup_reason: string;
  conversation_count: number;
  skipped_ids: string[];
  size_bytes: string | null;
  sha256: string | null;
  file_path: string;
  created_at: Date;
  completed_at: Date | null;
  expires_at: Date;
  error: string | null;
}

export const toBackupView = (row: BackupRow): BackupView => ({
  backup_id: row.backup_id,
  status: row.status,
  reason: row.backup_reason,
  conversation_count: row.conversation_count,
  skipped_ids: row.skipped_ids,
  size_bytes: row.size_bytes === null ? null : Number(row.size_bytes),
  sha256: row.sha256,
  file_path: row.file_path,
  created_at: row.created_at.toISOString(),
  completed_at: row.completed_at?.toISOString() ?? null,
  expires_at: row.expires_at.toISOString(),
  error: row.error,
});

const COLUMNS = `backup_id, status, backup_reason, conversation_count, skipped_ids, size_bytes, sha256,
  file_path, created_at, completed_at, expires_at, error`;

export interface NewBackup {
  backupId: string;
  userId: string;
  filePath: string;
  conversationIds: string[];
  batchId: string | null;
  reason: string;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * The rows of `backup_exports`: one per backup, from `creating` to `ready`, `failed` or `expired`.
 * Inserting a backup id again (a saga making its backup again after a crash) starts it over.
 */
export const backupExports = (ds: DataSource) => ({
  insert: async (backup: NewBackup): Promise<BackupView> => {
    const [row] = (await ds.query(
      `INSERT INTO backup_exports
         (backup_id, user_id, file_path, conversation_ids, batch_id, backup_reason, created_at, expires_at, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'creating')
       ON CONFLICT (backup_id) DO UPDATE SET status = 'creating', created_at = EXCLUDED.created_at,
         expires_at = EXCLUDED.expires_at, error = NULL, completed_at = NULL
       RETURNING ${COLUMNS}`,
      [
        backup.backupId,
        backup.userId,
        backup.filePath,
        JSON.stringify(backup.conversationIds),
        backup.batchId,
        backup.reason,
        backup.createdAt,
        backup.expiresAt,
      ],
    )) as BackupRow[];
    return toBackupView(row!);
  },

  ready: async (
    backupId: string,
    written: { conversationCount: number; skippedIds: string[]; sizeBytes: number; sha256: string },
  ): Promise<BackupView> => {
    const [rows] = (await ds.query(
      `UPDATE backup_exports SET status = 'ready', conversation_count = $2, skipped_ids = $3,
         size_bytes = $4, sha256 = $5, completed_at = now()
       WHERE backup_id = $1 RETURNING ${COLUMNS}`,
      [
        backupId,
        written.conversationCount,
        JSON.stringify(written.skippedIds),
        written.sizeBytes,
        written.sha256,
      ],
    )) as [BackupRow[]];
    return toBackupView(rows[0]!);
  },

  failed: async (backupId: string, error: string): Promise<void> => {
    await ds.query(
      `UPDATE backup_exports SET status = 'failed', error = $2, completed_at = now() WHERE backup_id = $1`,
      [backupId, error],
    );
  },

  get: async (userId: string, backupId: string): Promise<BackupView | undefined> => {
    const rows = (await ds.query(
      `SELECT ${COLUMNS} FROM backup_exports WHERE user_id = $1 AND backup_id = $2`,
      [userId, backupId],
    )) as BackupRow[];
    return rows[0] && toBackupView(rows[0]);
  },

  /** Newest first, keyset on (created_at, backup_id). */
  list: async (userId: string, cursor: string | undefined, limit: number) => {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, BackupCursor);
    const rows = (await ds.query(
      `SELECT ${COLUMNS} FROM backup_exports
        WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, backup_id) < ($2, $3))
        ORDER BY created_at DESC, backup_id DESC LIMIT $4`,
      [userId, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    )) as BackupRow[];
    const page = rows.slice(0, limit).map(toBackupView);
    const last = page.at(-1);
    return {
      backups: page,
      next_cursor: rows.length > limit && last ? encodeCursor([last.created_at, last.backup_id]) : null,
    };
  },

  /** Backups past their expiry that still have an object (ready, or failed with a partial upload). */
  expired: async (now: Date, limit: number): Promise<{ backup_id: string; file_path: string }[]> =>
    (await ds.query(
      `SELECT backup_id, file_path FROM backup_exports
        WHERE status IN ('ready', 'failed') AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    )) as { backup_id: string; file_path: string }[],

  /** Backups left `creating` by a process that stopped: failed, with why. */
  interrupted: async (): Promise<number> => {
    const rows = (await ds.query(
      `UPDATE backup_exports SET status = 'failed', completed_at = now(),
         error = 'interrupted: the backup service stopped while making it'
       WHERE status = 'creating' RETURNING backup_id`,
    )) as [unknown[], number];
    return rows[1];
  },

  markExpired: async (backupId: string): Promise<void> => {
    await ds.query(`UPDATE backup_exports SET status = 'expired' WHERE backup_id = $1`, [backupId]);
  },
});
export type BackupExports = ReturnType<typeof backupExports>;
