import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a batch's completed items cost: tokens read and written, and the estimated dollars. Batches
 * projected before count from zero until the projections are rebuilt from the log.
 */
export class BatchUsage1702000000000 implements MigrationInterface {
  name = 'BatchUsage1702000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE batches
        ADD COLUMN prompt_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN completion_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN cost_usd double precision NOT NULL DEFAULT 0`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE batches DROP COLUMN prompt_tokens, DROP COLUMN completion_tokens, DROP COLUMN cost_usd`,
    );
  }
}
