import type { DataSource, QueryRunner } from 'typeorm';

/** The rows a raw statement returns (none for a write without RETURNING). */
export async function rowsOf<T>(runner: QueryRunner, text: string, params: unknown[] = []): Promise<T[]> {
  const result = await runner.query(text, params, true);
  return result.records as T[];
}

/** Runs `work` in one transaction on one connection; raw statements go through its query runner. */
export function inTransaction<T>(
  dataSource: DataSource,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  return dataSource.transaction((manager) => work(manager.queryRunner!));
}
