import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The read models. Tables are created unqualified: the DataSource's search_path is its schema
 * (see createDataSource), so the same migration serves production ('public') and each test's schema.
 */
export class InitialSchema1700000000000 implements MigrationInterface {
  name = 'InitialSchema1700000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE batches (
        batch_id text PRIMARY KEY,
        user_id text NOT NULL,
        name text NOT NULL DEFAULT '',
        status text NOT NULL,
        declared_items int NOT NULL,
        items_added int NOT NULL DEFAULT 0,
        total_items int NOT NULL,
        processed_count int NOT NULL DEFAULT 0,
        failed_count int NOT NULL DEFAULT 0,
        pending_count int NOT NULL,
        config jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        started_at timestamptz NULL,
        paused_at timestamptz NULL,
        completed_at timestamptz NULL,
        ended_at timestamptz NULL,
        last_checkpoint_at timestamptz NOT NULL
      )`);
    await runner.query(`CREATE INDEX batches_user_created_idx ON batches (user_id, created_at DESC)`);
    await runner.query(`
      CREATE TABLE batch_items (
        batch_id text NOT NULL,
        item_id text NOT NULL,
        position int NOT NULL,
        topic text NOT NULL,
        parameters jsonb NULL,
        status text NOT NULL,
        attempt int NOT NULL,
        conversation_id text NULL,
        error jsonb NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (batch_id, item_id)
      )`);
    await runner.query(
      `CREATE INDEX batch_items_status_position_idx ON batch_items (batch_id, status, position)`,
    );
    await runner.query(`
      CREATE TABLE conversations (
        id text PRIMARY KEY,
        batch_id text NOT NULL,
        item_id text NOT NULL,
        user_id text NOT NULL,
        topic text NOT NULL,
        persona text NOT NULL,
        content text NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT conversations_batch_item_key UNIQUE (batch_id, item_id)
      )`);
    await runner.query(`
      CREATE TABLE conversation_turns (
        id text PRIMARY KEY,
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role text NOT NULL,
        content text NOT NULL,
        sequence int NOT NULL,
        CONSTRAINT conversation_turns_sequence_key UNIQUE (conversation_id, sequence)
      )`);
    await runner.query(`
      CREATE TABLE projection_checkpoints (
        name text PRIMARY KEY,
        last_seq bigint NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `DROP TABLE projection_checkpoints, conversation_turns, conversations, batch_items, batches`,
    );
  }
}
