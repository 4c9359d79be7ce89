import { createDataSource, runMigrations } from '@batch/persistence';

/** Creates the schema if needed and brings its tables up to date, once, before any service starts. */
export async function migrate(url: string, schema: string): Promise<void> {
  const dataSource = await createDataSource({ url, schema, poolSize: 2 });
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
