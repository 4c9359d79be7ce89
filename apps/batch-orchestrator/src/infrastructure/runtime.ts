import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { batchDecider, eventWeight, type BatchCommand, type BatchState } from '@batch/batch-domain';
import { names as namesFor, type Names } from '@batch/contracts';
import {
  createAggregateStore,
  createEventStore,
  createSnapshotStore,
  type AggregateStore,
  type EventStore,
  type SnapshotStore,
} from '@batch/event-store';
import { defaultWorkSettings, ensureWork, type WorkSettings } from '@batch/messaging';
import { createDataSource, runMigrations } from '@batch/persistence';
import type { OrchestratorConfig } from '../config/orchestrator.config.js';

/** The connections and stores every part of the orchestrator shares, opened once at start. */
export interface OrchestratorRuntime {
  config: OrchestratorConfig;
  logger: Logger;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: Names;
  events: EventStore;
  snapshots: SnapshotStore;
  aggregates: AggregateStore<BatchState, BatchCommand>;
  leases: KV;
  /** The settings of every batch's work consumer. */
  work: WorkSettings;
  ds: DataSource;
  close(): Promise<void>;
}

export const RUNTIME = Symbol('ORCHESTRATOR_RUNTIME');

export async function openRuntime(config: OrchestratorConfig): Promise<OrchestratorRuntime> {
  const logger = pino({ name: 'batch-orchestrator', level: config.LOG_LEVEL });
  const nc = await connect({
    servers: config.NATS_URL,
    name: 'batch-orchestrator',
    maxReconnectAttempts: -1,
  });
  const names = namesFor(config.NATS_NAMESPACE);
  const events = await createEventStore(nc, {
    names,
    stream: { replicas: config.EVENTS_REPLICAS, duplicateWindowMs: config.EVENTS_DUPLICATE_WINDOW_MS },
  });
  await events.ensure();
  const work: WorkSettings = {
    ...defaultWorkSettings,
    replicas: config.EVENTS_REPLICAS,
    ackWaitMs: config.WORK_ACK_WAIT_MS,
    maxDeliver: config.WORK_MAX_DELIVER,
  };
  await ensureWork(nc, names, work);
  const snapshots = await createSnapshotStore(nc, {
    bucket: names.snapshotBucket,
    replicas: config.EVENTS_REPLICAS,
  });
  const aggregates = createAggregateStore({
    events,
    snapshots,
    decider: batchDecider,
    snapshotEvery: config.SNAPSHOT_EVERY_EVENTS,
    weigh: eventWeight,
    onSnapshot: (batchId, saved) => logger.debug({ batchId, ...saved }, 'snapshot saved'),
    onSnapshotError: (batchId, error) => logger.warn({ batchId, err: error }, 'snapshot failed'),
  });
  const leases = await new Kvm(nc).create(names.leaseBucket, {
    history: 1,
    ttl: config.DISPATCH_LEASE_MS,
  });
  const ds = await createDataSource({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  await runMigrations(ds);
  return {
    config,
    logger,
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    names,
    events,
    snapshots,
    aggregates,
    leases,
    work,
    ds,
    close: async () => {
      await nc.drain();
      await ds.destroy();
    },
  };
}
