import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '@batch/persistence';
import { testDatabase } from '@batch/testing';
import type { OpenBackup } from './backup-records.js';

/** PostgreSQL alone (own schema, migrated) for one test file. */
export async function migratedDatabase(): Promise<{ ds: DataSource; close(): Promise<void> }> {
  const db = await testDatabase();
  const ds = await createDataSource({ url: db.url, schema: db.schema });
  await runMigrations(ds);
  return {
    ds,
    close: async () => {
      await ds.destroy();
      await db.close();
    },
  };
}

/** A backup file holding `document`, served in chunks of `chunkBytes` (cutting tokens anywhere). */
export function backupOf(
  document: unknown,
  options: { chunkBytes?: number; gzip?: boolean } = {},
): OpenBackup {
  const text = typeof document === 'string' ? document : JSON.stringify(document);
  const bytes = options.gzip ? gzipSync(text) : Buffer.from(text);
  const chunkBytes = options.chunkBytes ?? 7;
  return async () =>
    Readable.from(
      (function* () {
        for (let start = 0; start < bytes.length; start += chunkBytes)
          yield bytes.subarray(start, start + chunkBytes);
      })(),
    );
}

export const turn = (id: string, sequence: number, extra: Record<string, unknown> = {}) => ({
  id,
  content: `content of ${id}`,
  role: sequence % 2 === 0 ? 'user' : 'assistant',
  sequence,
  ...extra,
});

export const conversation = (id: string, turns: unknown[] = [], extra: Record<string, unknown> = {}) => ({
  id,
  content: `content of ${id}`,
  persona: 'Expert',
  topic: `topic of ${id}`,
  batch_id: 'batch-1',
  item_id: `item-${id}`,
  created_at: '2025-11-04T10:00:00.123456Z',
  conversation_turns: turns,
  ...extra,
});

/** Seed 001's document (what our backups write). */
export const v1Backup = (conversations: unknown[]) => ({
  version: '1.0',
  createdAt: '2025-11-04T10:00:00.000Z',
  backupReason: 'manual_backup',
  conversations,
});

/** Every row of the restored tables, in a stable order: to compare two restores. */
export async function tableDump(ds: DataSource) {
  return {
    conversations: await ds.query(
      `SELECT id, batch_id, item_id, user_id, topic, persona, content,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at
         FROM conversations ORDER BY id`,
    ),
    conversation_turns: await ds.query(`SELECT * FROM conversation_turns ORDER BY id`),
  };
}

export async function emptyTables(ds: DataSource): Promise<void> {
  await ds.query(`TRUNCATE conversations, conversation_turns, restores`);
}

/** A conversation of someone else, stored before the restore. */
export async function storeConversation(ds: DataSource, userId: string, id: string, turnIds: string[] = []) {
  await ds.query(
    `INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at)
     VALUES ($1, 'their-batch', $1, $2, 'theirs', 'theirs', 'their content', '2024-01-01T00:00:00Z')`,
    [id, userId],
  );
  for (const [sequence, turnId] of turnIds.entries())
    await ds.query(
      `INSERT INTO conversation_turns (id, conversation_id, role, content, sequence) VALUES ($1, $2, 'user', 'theirs', $3)`,
      [turnId, id, sequence],
    );
}
