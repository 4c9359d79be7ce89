import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { testDatabase, type TestDatabase } from '@batch/testing';
import { createDataSource, runMigrations } from './data-source.factory.js';

let db: TestDatabase;
const opened: DataSource[] = [];

async function dataSource(schema: string): Promise<DataSource> {
  const ds = await createDataSource({ url: db.url, schema });
  opened.push(ds);
  return ds;
}

const columnsOf = (ds: DataSource, schema: string, table: string) =>
  ds.query(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );

beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await Promise.all(opened.map((ds) => ds.destroy()));
  await db.close();
  // The schema the concurrent test made for itself.
  const admin = await createDataSource({ url: db.url });
  await admin.query(`DROP SCHEMA IF EXISTS "${db.schema}_fresh" CASCADE`);
  await admin.destroy();
});

describe('the DataSource and its migrations', () => {
  it('creates the read-model tables in its own schema', async () => {
    const ds = await dataSource(db.schema);
    await runMigrations(ds);
    const tables = await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [db.schema],
    );
    expect(tables.map((row: { table_name: string }) => row.table_name)).toEqual([
      'backup_exports',
      'batch_items',
      'batches',
      'conversation_turns',
      'conversations',
      'delete_operations',
      'error_reports',
      'migrations',
      'projection_checkpoints',
      'projection_set_aside',
      'restores',
      'webhook_deliveries',
      'webhook_endpoints',
    ]);
    expect(await columnsOf(ds, db.schema, 'batches')).toEqual(
      expect.arrayContaining([
        { column_name: 'batch_id', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'config', data_type: 'jsonb', is_nullable: 'NO' },
        { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
        { column_name: 'pause_reason', data_type: 'text', is_nullable: 'YES' },
        { column_name: 'last_checkpoint_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
      ]),
    );
    expect(await columnsOf(ds, db.schema, 'projection_checkpoints')).toEqual([
      { column_name: 'name', data_type: 'text', is_nullable: 'NO' },
      { column_name: 'last_seq', data_type: 'bigint', is_nullable: 'NO' },
      { column_name: 'updated_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
    ]);
    const indexes = await ds.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1`, [db.schema]);
    expect(indexes.map((row: { indexdef: string }) => row.indexdef.replaceAll(`${db.schema}.`, ''))).toEqual(
      expect.arrayContaining([
        'CREATE INDEX batches_user_created_idx ON batches USING btree (user_id, created_at DESC)',
        'CREATE UNIQUE INDEX batch_items_pkey ON batch_items USING btree (batch_id, item_id)',
        'CREATE INDEX batch_items_status_position_idx ON batch_items USING btree (batch_id, status, "position")',
        'CREATE UNIQUE INDEX conversations_batch_item_key ON conversations USING btree (batch_id, item_id)',
        'CREATE UNIQUE INDEX conversation_turns_sequence_key ON conversation_turns USING btree (conversation_id, sequence)',
        'CREATE INDEX conversations_user_created_idx ON conversations USING btree (user_id, created_at DESC, id DESC)',
      ]),
    );
  });

  it('runs each migration once, however often it is asked', async () => {
    const ds = await dataSource(db.schema);
    await runMigrations(ds);
    await runMigrations(ds);
    const applied = await ds.query(`SELECT name FROM migrations`);
    expect(applied).toEqual([
      { name: 'InitialSchema1700000000000' },
      { name: 'Reliability1701000000000' },
      { name: 'BatchUsage1702000000000' },
      { name: 'ConversationListing1703000000000' },
      { name: 'Backups1704000000000' },
      { name: 'ErrorReports1705000000000' },
      { name: 'Webhooks1706000000000' },
      { name: 'ConversationUsage1707000000000' },
    ]);
  });

  it('lets replicas starting together migrate a fresh schema without racing', async () => {
    const schema = `${db.schema}_fresh`;
    const replicas = await Promise.all([dataSource(schema), dataSource(schema), dataSource(schema)]);
    await Promise.all(replicas.map(runMigrations));
    expect(await replicas[0]!.query(`SELECT name FROM migrations`)).toHaveLength(
      replicas[0]!.migrations.length,
    );
    expect(await replicas[1]!.query(`SELECT count(*)::int AS count FROM batches`)).toEqual([{ count: 0 }]);
  });

  it('refuses a pool of one connection at once instead of waiting forever for a second', async () => {
    const single = await createDataSource({ url: db.url, schema: db.schema, poolSize: 1 });
    opened.push(single);
    await expect(runMigrations(single)).rejects.toThrow('migrations need a pool of 2 connections at least');
  });

  it('cascades the removal of a conversation to its turns', async () => {
    const ds = await dataSource(db.schema);
    await ds.query(
      `INSERT INTO conversations VALUES ('c1', 'b1', 'i1', 'u1', 'topic', 'persona', 'content', now())`,
    );
    await ds.query(`INSERT INTO conversation_turns VALUES ('t1', 'c1', 'user', 'hello', 0)`);
    await ds.query(`DELETE FROM conversations WHERE id = 'c1'`);
    expect(await ds.query(`SELECT * FROM conversation_turns`)).toEqual([]);
  });
});
