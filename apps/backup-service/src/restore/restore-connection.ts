import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/** A statement prepared once per connection, so that it is planned once and runs on that plan. */
export interface Statement {
  name: string;
  text: string;
}

/** One of a restore's own connections. */
export interface RestoreConnection {
  run<R>(statement: Statement, values: unknown[]): Promise<R[]>;
}

/**
 * Runs `work` on `count` connections of its own, opened with the DataSource's settings (its
 * schema too) but outside its pool, named `name` in pg_stat_activity, and closed after. Outside
 * the pool: restores holding pooled connections while they wait for one to write their progress
 * could take the whole pool and wait forever. Their commits do not wait for the WAL to reach the
 * disk: the progress row, written after them on a pooled connection with a normal commit, flushes
 * them, so progress never counts a record a crash could lose.
 */
export async function withRestoreConnections<T>(
  ds: DataSource,
  { count, name }: { count: number; name: string },
  work: (connections: RestoreConnection[]) => Promise<T>,
): Promise<T> {
  const settings = (ds.driver as PostgresDriver).master.options as pg.ClientConfig;
  const clients: pg.Client[] = [];
  try {
    for (let index = 0; index < count; index += 1) {
      const client = new pg.Client({ ...settings, application_name: name });
      // A dropped connection fails the statement in flight; the event must not end the process.
      client.on('error', () => undefined);
      clients.push(client);
      await client.connect();
      await client.query('SET synchronous_commit = off');
    }
    return await work(
      clients.map((client) => ({
        run: async <R>(statement: Statement, values: unknown[]) =>
          (await client.query({ ...statement, values })).rows as R[],
      })),
    );
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}
