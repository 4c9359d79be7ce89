import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each conversation cost and how its reply ended, as the provider said (null when it did not,
 * and for conversations stored before): exports carry the tokens, dataset statistics count the
 * replies cut at the token limit.
 */
export class ConversationUsage1707000000000 implements MigrationInterface {
  name = 'ConversationUsage1707000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE conversations
        ADD COLUMN prompt_tokens integer,
        ADD COLUMN completion_tokens integer,
        ADD COLUMN finish_reason text`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE conversations DROP COLUMN prompt_tokens, DROP COLUMN completion_tokens, DROP COLUMN finish_reason`,
    );
  }
}
