import pg from 'pg';
import { uniqueNamespace } from './namespace.js';

export interface TestDatabase {
  url: string;
  /** The run's own schema: every table of the test lives in it. */
  schema: string;
  close(): Promise<void>;
}

export async function testDatabase(): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error('DATABASE_URL is not set: run tests through jest (its global setup finds PostgreSQL)');
  const schema = uniqueNamespace('t_');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  return {
    url,
    schema,
    close: async () => {
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      await admin.end();
    },
  };
}
