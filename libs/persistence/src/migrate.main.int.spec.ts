import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testDatabase, type TestDatabase } from '@batch/testing';
import { createDataSource } from './data-source.factory.js';

const run = promisify(execFile);
const repositoryRoot = join(import.meta.dirname, '../../..');

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.close());

const migrate = (schema: string) =>
  run(process.execPath, ['libs/persistence/dist/migrate.main.js'], {
    cwd: repositoryRoot,
    env: { ...process.env, DATABASE_URL: db.url, DATABASE_SCHEMA: schema },
  });

describe("the migrations job's command (migrate.main.js)", () => {
  it('creates the schema and its tables, and a second run has nothing to do', async () => {
    const first = await migrate(db.schema);
    expect(first.stdout).toContain(`migrations: schema ${db.schema} is up to date`);
    const second = await migrate(db.schema);
    expect(second.stdout).toContain('(nothing to run)');

    const ds = await createDataSource({ url: db.url, schema: db.schema });
    try {
      const [{ count }] = await ds.query(
        `SELECT count(*)::int AS count FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'batches'`,
        [db.schema],
      );
      expect(count).toBe(1);
    } finally {
      await ds.destroy();
    }
  });

  it('exits 1 when PostgreSQL cannot be reached', async () => {
    const failed = run(process.execPath, ['libs/persistence/dist/migrate.main.js'], {
      cwd: repositoryRoot,
      env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATABASE_SCHEMA: db.schema },
    });
    await expect(failed).rejects.toMatchObject({ code: 1 });
  });
});
