import type { Provider } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  batchAggregate,
  batchDecider,
  eventWeight,
  type BatchCommand,
  type BatchState,
} from '@batch/batch-domain';
import type { BatchEvent, Names } from '@batch/contracts';
import {
  createAggregateStore,
  createEventStore,
  createSnapshotStore,
  type AggregateStore,
  type EventStore,
} from '@batch/event-store';
import { defaultWorkSettings, ensureFactsStream, ensureWork, type WorkSettings } from '@batch/messaging';
import { JETSTREAM_MANAGER, LOGGER, NAMES, NATS, SETTINGS, type Logger } from '@batch/platform';
import type { OrchestratorConfig } from '../config/orchestrator.config.js';

/** The batches' event log (the orchestrator creates and updates its stream). */
export const EVENT_STORE = Symbol('EVENT_STORE');
/** The one command handler of the Batch aggregate: snapshots, the log, optimistic concurrency. */
export const AGGREGATES = Symbol('AGGREGATES');
/** Which orchestrator replica dispatches which batch (a KV bucket with a TTL). */
export const LEASES = Symbol('LEASES');
/**
 * The settings of every batch's work consumer (the work stream is ensured with them, and the facts
 * stream beside it: workers and the dispatcher publish there, the orchestrator sets its replicas).
 */
export const WORK_SETTINGS = Symbol('WORK_SETTINGS');

export type BatchAggregates = AggregateStore<BatchState, BatchCommand, BatchEvent>;

export const storeProviders: Provider[] = [
  {
    provide: EVENT_STORE,
    inject: [NATS, NAMES, SETTINGS],
    useFactory: async (
      nc: NatsConnection,
      names: Names,
      config: OrchestratorConfig,
    ): Promise<EventStore<BatchEvent>> => {
      const events = await createEventStore(nc, {
        aggregate: batchAggregate(names),
        stream: { replicas: config.EVENTS_REPLICAS, duplicateWindowMs: config.EVENTS_DUPLICATE_WINDOW_MS },
      });
      await events.ensure();
      return events;
    },
  },
  {
    provide: WORK_SETTINGS,
    inject: [NATS, JETSTREAM_MANAGER, NAMES, SETTINGS],
    useFactory: async (
      nc: NatsConnection,
      jsm: JetStreamManager,
      names: Names,
      config: OrchestratorConfig,
    ): Promise<WorkSettings> => {
      const work: WorkSettings = {
        ...defaultWorkSettings,
        replicas: config.EVENTS_REPLICAS,
        ackWaitMs: config.WORK_ACK_WAIT_MS,
        maxDeliver: config.WORK_MAX_DELIVER,
      };
      await ensureWork(nc, names, work);
      await ensureFactsStream(jsm, names, config.EVENTS_REPLICAS);
      return work;
    },
  },
  {
    provide: AGGREGATES,
    inject: [NATS, NAMES, SETTINGS, LOGGER, EVENT_STORE],
    useFactory: async (
      nc: NatsConnection,
      names: Names,
      config: OrchestratorConfig,
      logger: Logger,
      events: EventStore<BatchEvent>,
    ): Promise<BatchAggregates> =>
      createAggregateStore({
        events,
        snapshots: await createSnapshotStore(nc, {
          bucket: names.snapshotBucket,
          replicas: config.EVENTS_REPLICAS,
        }),
        decider: batchDecider,
        // A snapshot costs the batch's size (a 1,000,000-item one ~130 ms of CPU and ~50 MB of
        // garbage), the events after it their replay: one per tenth of the batch keeps both small.
        snapshotEvery: (state) =>
          Math.max(config.SNAPSHOT_EVERY_EVENTS, state.status === 'empty' ? 0 : state.items.size / 10),
        weigh: eventWeight,
        onSnapshot: (batchId, saved) => logger.debug({ batchId, ...saved }, 'snapshot saved'),
        onSnapshotError: (batchId, error) => logger.warn({ batchId, err: error }, 'snapshot failed'),
      }),
  },
  {
    provide: LEASES,
    inject: [NATS, NAMES, SETTINGS],
    useFactory: (nc: NatsConnection, names: Names, config: OrchestratorConfig) =>
      new Kvm(nc).create(names.leaseBucket, { history: 1, ttl: config.DISPATCH_LEASE_MS }),
  },
];
