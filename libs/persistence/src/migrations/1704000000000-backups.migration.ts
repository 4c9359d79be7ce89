import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Backups (seed 001's `backup_exports` columns, plus what the object in S3 is: its key in
 * `file_path`, size, sha256, status, conversation count) and restores with their progress, kept
 * until `expires_at` so a client polling late still reads how it ended; and the bulk deletes'
 * read model (the saga's state as its log last showed it, and what its delete step removed,
 * written in the delete's own transaction).
 */
export class Backups1704000000000 implements MigrationInterface {
  name = 'Backups1704000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE backup_exports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        backup_id varchar(100) UNIQUE NOT NULL,
        user_id text NOT NULL,
        file_path text NOT NULL,
        conversation_ids jsonb NOT NULL,
        backup_reason varchar(100) NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        status text NOT NULL,
        batch_id text NULL,
        conversation_count int NOT NULL DEFAULT 0,
        skipped_ids jsonb NOT NULL DEFAULT '[]',
        size_bytes bigint NULL,
        sha256 text NULL,
        error text NULL,
        completed_at timestamptz NULL
      )`);
    await runner.query(
      `CREATE INDEX backup_exports_user_created_idx ON backup_exports (user_id, created_at DESC)`,
    );
    await runner.query(
      `CREATE INDEX backup_exports_status_expires_idx ON backup_exports (status, expires_at)`,
    );
    await runner.query(`
      CREATE TABLE restores (
        restore_id text PRIMARY KEY,
        user_id text NOT NULL,
        source jsonb NOT NULL,
        progress jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NULL
      )`);
    await runner.query(`
      CREATE TABLE delete_operations (
        operation_id text PRIMARY KEY,
        user_id text NOT NULL,
        step text NOT NULL,
        state jsonb NOT NULL,
        last_seq bigint NOT NULL,
        deleted_count int NULL,
        updated_at timestamptz NOT NULL
      )`);
    await runner.query(`CREATE INDEX delete_operations_step_idx ON delete_operations (step)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE delete_operations, restores, backup_exports`);
  }
}
