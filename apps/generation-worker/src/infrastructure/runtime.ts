import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { names as namesFor, type Names } from '@batch/contracts';
import { createEventStore, createOutcomeCommitter, type OutcomeCommitter } from '@batch/event-store';
import { trackConnection } from '@batch/messaging';
import { createDataSource, runMigrations } from '@batch/persistence';
import type { WorkerConfig } from '../config/worker.config.js';

export interface WorkerRuntime {
  config: WorkerConfig;
  logger: Logger;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: Names;
  /** False while the NATS connection is down: no new item starts then (its message may go elsewhere). */
  natsConnected(): boolean;
  committer: OutcomeCommitter;
  ds: DataSource;
  close(): Promise<void>;
}

export const RUNTIME = Symbol('WORKER_RUNTIME');

export async function openRuntime(config: WorkerConfig): Promise<WorkerRuntime> {
  const logger = pino({ name: 'generation-worker', level: config.LOG_LEVEL });
  const nc = await connect({ servers: config.NATS_URL, name: 'generation-worker', maxReconnectAttempts: -1 });
  const names = namesFor(config.NATS_NAMESPACE);
  // The streams and each batch's work consumer are the orchestrator's: a worker only reads and appends.
  const events = await createEventStore(nc, { names });
  const ds = await createDataSource({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  await runMigrations(ds);
  return {
    config,
    logger,
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    names,
    natsConnected: trackConnection(nc, logger),
    committer: createOutcomeCommitter(events, { maxDelayMs: config.OUTCOME_COMMIT_MS }),
    ds,
    close: async () => {
      await nc.drain();
      await ds.destroy();
    },
  };
}
