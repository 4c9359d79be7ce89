import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The details of each error a user was notified of (`GET /api/v1/errors/:errorId`, the console's
 * error modal), sanitized before they are stored; repeats within the de-dup window add to
 * `occurrences`. Rows older than the retention are swept.
 */
export class ErrorReports1705000000000 implements MigrationInterface {
  name = 'ErrorReports1705000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE error_reports (
        error_id text PRIMARY KEY,
        user_id text NOT NULL,
        details jsonb NOT NULL,
        occurrences integer NOT NULL,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE INDEX error_reports_created_idx ON error_reports (created_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE error_reports`);
  }
}
