import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook endpoints (never their secret: it is derived from the gateway's signing key and the
 * endpoint id whenever it is needed) and every delivery attempt, listed newest first per endpoint.
 * Deleting an endpoint deletes its attempts.
 */
export class Webhooks1706000000000 implements MigrationInterface {
  name = 'Webhooks1706000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE webhook_endpoints (
        endpoint_id text PRIMARY KEY,
        user_id text NOT NULL,
        url text NOT NULL,
        events text[] NOT NULL,
        description text NULL,
        created_at timestamptz NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX webhook_endpoints_user_created_idx ON webhook_endpoints (user_id, created_at DESC, endpoint_id DESC)`,
    );
    await runner.query(`
      CREATE TABLE webhook_deliveries (
        id bigserial PRIMARY KEY,
        endpoint_id text NOT NULL REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
        delivery_id text NOT NULL,
        notification_seq bigint NOT NULL,
        event text NOT NULL,
        attempt int NOT NULL,
        status_code int NULL,
        error text NULL,
        duration_ms int NOT NULL,
        attempted_at timestamptz NOT NULL,
        outcome text NOT NULL,
        UNIQUE (delivery_id, attempt)
      )`);
    await runner.query(
      `CREATE INDEX webhook_deliveries_endpoint_attempted_idx ON webhook_deliveries (endpoint_id, attempted_at DESC, id DESC)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE webhook_deliveries, webhook_endpoints`);
  }
}
