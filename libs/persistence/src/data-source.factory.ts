import { DataSource } from 'typeorm';
import { BatchItemRecord } from './entities/batch-item.entity.js';
import { BatchRecord } from './entities/batch.entity.js';
import { ConversationTurnRecord } from './entities/conversation-turn.entity.js';
import { ConversationRecord } from './entities/conversation.entity.js';
import { ProjectionCheckpointRecord } from './entities/projection-checkpoint.entity.js';
import { InitialSchema1700000000000 } from './migrations/1700000000000-initial-schema.migration.js';
import { Reliability1701000000000 } from './migrations/1701000000000-reliability.migration.js';
import { BatchUsage1702000000000 } from './migrations/1702000000000-batch-usage.migration.js';
import { ConversationListing1703000000000 } from './migrations/1703000000000-conversation-listing.migration.js';
import { Backups1704000000000 } from './migrations/1704000000000-backups.migration.js';
import { ErrorReports1705000000000 } from './migrations/1705000000000-error-reports.migration.js';
import { Webhooks1706000000000 } from './migrations/1706000000000-webhooks.migration.js';
import { ConversationUsage1707000000000 } from './migrations/1707000000000-conversation-usage.migration.js';

export interface DataSourceSettings {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Where the tables live (default `public`); each test file has its own. */
  schema?: string;
  logging?: boolean;
  poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * An initialized TypeORM DataSource on PostgreSQL. The schema comes from migrations only
 * (`runMigrations`), never from `synchronize`.
 */
export async function createDataSource(settings: DataSourceSettings): Promise<DataSource> {
  const schema = settings.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new RangeError(`bad schema name ${schema}`);
  const dataSource = new DataSource({
    type: 'postgres',
    url: settings.url,
    schema,
    entities: [
      BatchRecord,
      BatchItemRecord,
      ConversationRecord,
      ConversationTurnRecord,
      ProjectionCheckpointRecord,
    ],
    migrations: [
      InitialSchema1700000000000,
      Reliability1701000000000,
      BatchUsage1702000000000,
      ConversationListing1703000000000,
      Backups1704000000000,
      ErrorReports1705000000000,
      Webhooks1706000000000,
      ConversationUsage1707000000000,
    ],
    logging: settings.logging ?? false,
    poolSize: settings.poolSize,
    // Raw SQL (projection, repositories, migration) names tables unqualified: they resolve in the schema.
    extra: { options: `-c search_path=${schema}` },
  });
  return dataSource.initialize();
}

/**
 * Creates the schema if needed and runs the pending migrations in one transaction. Replicas starting
 * together wait for each other on an advisory lock instead of racing to create the same tables.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  // One connection holds the lock while another migrates: with a single one the second waits forever.
  const { poolSize } = dataSource.options as { poolSize?: number };
  if (poolSize !== undefined && poolSize < 2)
    throw new RangeError(`migrations need a pool of 2 connections at least, this one has ${poolSize}`);
  const schema = dataSource.driver.schema ?? 'public';
  const lock = dataSource.createQueryRunner();
  try {
    await lock.startTransaction();
    await lock.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`batch-migrations:${schema}`]);
    // Outside the lock's transaction, so the migration's connection sees the schema at once.
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await dataSource.runMigrations({ transaction: 'all' });
    await lock.commitTransaction();
  } catch (error) {
    if (lock.isTransactionActive) await lock.rollbackTransaction();
    throw error;
  } finally {
    await lock.release();
  }
}
