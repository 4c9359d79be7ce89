import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The user's conversations, newest first (`GET /api/v1/conversations`): a keyset page on
 * (created_at, id) reads the index in order and stops after a page, whatever the user's total.
 */
export class ConversationListing1703000000000 implements MigrationInterface {
  name = 'ConversationListing1703000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE INDEX conversations_user_created_idx ON conversations (user_id, created_at DESC, id DESC)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX conversations_user_created_idx`);
  }
}
