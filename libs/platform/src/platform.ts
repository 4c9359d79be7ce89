import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { names as namesFor } from '@batch/contracts';
import { trackConnection } from '@batch/messaging';
import { createDataSource, runMigrations } from '@batch/persistence';
import type { Logger } from './logger.js';
import { createReadiness, type Readiness } from './readiness.js';
import type { BaseSettings } from './settings.js';
import {
  DATA_SOURCE,
  JETSTREAM,
  JETSTREAM_MANAGER,
  LOGGER,
  METRICS,
  NAMES,
  NATS,
  NATS_CONNECTED,
  READINESS,
  SETTINGS,
} from './tokens.js';

/** The connections a service shares, opened once at start and closed last at shutdown. */
export interface Platform<S extends BaseSettings = BaseSettings> {
  settings: S;
  logger: Logger;
  metrics: Registry;
  readiness: Readiness;
  /** A global module providing every token of `tokens.ts`. */
  module: DynamicModule;
  /** Drains NATS (what is buffered is sent) and closes the database pool. */
  close(): Promise<void>;
}

/** The platform's ports, global: every module of the service may inject them. */
@Module({})
class PlatformModule {}

/**
 * Connects to NATS and PostgreSQL (running the pending migrations under the shared advisory lock),
 * and makes the metrics registry (Prometheus adds the job and instance labels when it scrapes).
 */
export async function openPlatform<S extends BaseSettings>(
  service: string,
  settings: S,
  logger: Logger,
): Promise<Platform<S>> {
  const nc = await connect({
    servers: settings.NATS_URL,
    name: service,
    maxReconnectAttempts: -1,
    // Otherwise every request builds an Error up front for the stack of a timeout that rarely
    // comes: 4% of the gateway's CPU under read load. Errors keep their types and messages.
    noAsyncTraces: true,
  });
  const natsConnected = trackConnection(nc, logger);
  const ds = await createDataSource({ url: settings.DATABASE_URL, schema: settings.DATABASE_SCHEMA });
  await runMigrations(ds);
  const names = namesFor(settings.NATS_NAMESPACE);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const readiness = createReadiness([
    { name: 'nats', check: () => (natsConnected() ? nc.flush() : Promise.reject(new Error('disconnected'))) },
    { name: 'postgres', check: () => ds.query('SELECT 1') },
  ]);
  const values: [symbol, unknown][] = [
    [SETTINGS, settings],
    [LOGGER, logger],
    [NATS, nc],
    [JETSTREAM, jetstream(nc)],
    [JETSTREAM_MANAGER, await jetstreamManager(nc)],
    [NATS_CONNECTED, natsConnected],
    [NAMES, names],
    [DATA_SOURCE, ds],
    [METRICS, metrics],
    [READINESS, readiness],
  ];
  const providers: Provider[] = values.map(([provide, useValue]) => ({ provide, useValue }));
  return {
    settings,
    logger,
    metrics,
    readiness,
    module: {
      module: PlatformModule,
      global: true,
      providers,
      exports: values.map(([token]) => token),
    },
    close: async () => {
      await nc.drain();
      await ds.destroy();
    },
  };
}
