import {
  AckPolicy,
  DeliverPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Names } from '@batch/contracts';
import { ensureStream, type NamedStreamConfig } from '@batch/event-store';

/** The knobs of work dispatch; everything else about the stream and its consumer is fixed here. */
export interface WorkSettings {
  replicas: number;
  /** How long a worker may hold a message without a heartbeat before it is redelivered. */
  ackWaitMs: number;
  /** Deliveries of one message before it is given up (its items then fail as `permanent`). */
  maxDeliver: number;
  maxAckPending: number;
}

export const defaultWorkSettings: WorkSettings = {
  replicas: 1,
  ackWaitMs: 30_000,
  maxDeliver: 5,
  maxAckPending: 10_000,
};

export const WORKERS_CONSUMER = 'generation-workers';
const nanos = (ms: number) => ms * 1_000_000;

/** Work queue: a message is removed once a worker acknowledges it. */
export function workStreamConfig(names: Names, settings: WorkSettings): NamedStreamConfig {
  return {
    name: names.workStream,
    subjects: [names.allWork],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: settings.replicas,
    duplicate_window: nanos(2 * 60_000),
    allow_direct: true,
  };
}

/**
 * The one durable pull consumer every worker shares. No consumer `backoff`: JetStream would let it
 * replace `ack_wait` for messages still being worked on; workers delay their own retries (nak with
 * 1, 2, 4, 8, 16 s or the provider's Retry-After), and a crashed worker's messages return after `ack_wait`.
 */
export function workConsumerConfig(names: Names, settings: WorkSettings): Partial<ConsumerConfig> {
  return {
    durable_name: WORKERS_CONSUMER,
    filter_subject: names.allWork,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
    max_ack_pending: settings.maxAckPending,
  };
}

/** Creates (or updates) the work stream and its consumer; idempotent. */
export async function ensureWork(nc: NatsConnection, names: Names, settings: WorkSettings): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, workStreamConfig(names, settings));
  const config = workConsumerConfig(names, settings);
  try {
    await jsm.consumers.add(names.workStream, config);
  } catch {
    await jsm.consumers.update(names.workStream, WORKERS_CONSUMER, config);
  }
}
