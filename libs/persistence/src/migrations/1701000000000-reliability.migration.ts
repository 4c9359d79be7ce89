import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why a batch is paused (its user, or the platform after dispatch kept failing), and the commits a
 * projection could not apply and set aside for an operator, kept byte for byte.
 */
export class Reliability1701000000000 implements MigrationInterface {
  name = 'Reliability1701000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE batches ADD COLUMN pause_reason text NULL`);
    await runner.query(`
      CREATE TABLE projection_set_aside (
        projection text NOT NULL,
        seq bigint NOT NULL,
        subject text NOT NULL,
        error text NOT NULL,
        payload bytea NOT NULL,
        set_aside_at timestamptz NOT NULL,
        PRIMARY KEY (projection, seq)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE projection_set_aside`);
    await runner.query(`ALTER TABLE batches DROP COLUMN pause_reason`);
  }
}
