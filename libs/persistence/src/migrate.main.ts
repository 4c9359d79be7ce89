// Creates DATABASE_SCHEMA if needed and runs the pending migrations, once, then exits: the
// deployment's migrations job (`node libs/persistence/dist/migrate.main.js`). Services run the same
// migrations at start under the same advisory lock, so running it is an upgrade's first step, not
// a condition of starting.
import { z } from 'zod';
import { parse } from '@batch/contracts';
import { createDataSource, runMigrations } from './data-source.factory.js';

const Environment = z.object({
  DATABASE_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_SCHEMA: z.string().min(1).default('public'),
});

async function main(): Promise<void> {
  const env = parse(Environment, process.env, 'environment');
  const ds = await createDataSource({ url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA, poolSize: 2 });
  try {
    const pending = await ds.showMigrations();
    await runMigrations(ds);
    console.log(
      `migrations: schema ${env.DATABASE_SCHEMA} is up to date${pending ? '' : ' (nothing to run)'}`,
    );
  } finally {
    await ds.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
