import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { names as namesFor, type Names } from '@batch/contracts';
import { trackConnection } from '@batch/messaging';
import { createDataSource, runMigrations } from '@batch/persistence';
import type { GatewayConfig } from '../config/gateway.config.js';

/** The connections the gateway shares: NATS to reach the services, Postgres to read the read models. */
export interface GatewayRuntime {
  config: GatewayConfig;
  logger: Logger;
  nc: NatsConnection;
  /** False from a lost NATS connection until the client has reconnected: requests fail fast then. */
  natsConnected(): boolean;
  names: Names;
  ds: DataSource;
  close(): Promise<void>;
}

export const RUNTIME = Symbol('GATEWAY_RUNTIME');

export async function openRuntime(config: GatewayConfig): Promise<GatewayRuntime> {
  const logger = pino({ name: 'notification-gateway', level: config.LOG_LEVEL });
  const nc = await connect({
    servers: config.NATS_URL,
    name: 'notification-gateway',
    maxReconnectAttempts: -1,
  });
  const natsConnected = trackConnection(nc, logger);
  const ds = await createDataSource({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  // Replicas and services migrate under one advisory lock: whoever starts first creates the tables.
  await runMigrations(ds);
  return {
    config,
    logger,
    nc,
    natsConnected,
    names: namesFor(config.NATS_NAMESPACE),
    ds,
    close: async () => {
      await nc.drain();
      await ds.destroy();
    },
  };
}
