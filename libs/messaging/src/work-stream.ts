import {
  AckPolicy,
  DeliverPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Names } from '@batch/contracts';
import { ensureStream, isConsumerNotFound, type NamedStreamConfig } from './jetstream.js';

/** The knobs of work dispatch; everything else about the stream and its consumers is fixed here. */
export interface WorkSettings {
  replicas: number;
  /**
   * How long a message may go without an acknowledgement or a heartbeat before it is delivered to
   * another worker. Workers heartbeat every fifth of it, so only a worker that is gone (or cut off
   * from NATS, and then it starts nothing more) misses it.
   */
  ackWaitMs: number;
  /** Deliveries of one message before it is given up (its items then fail as `permanent`). */
  maxDeliver: number;
  /** Messages of one batch held by workers at once, at most. */
  maxAckPending: number;
}

export const defaultWorkSettings: WorkSettings = {
  replicas: 1,
  ackWaitMs: 10_000,
  maxDeliver: 5,
  maxAckPending: 1_000,
};

/** The consumer every worker shared before each batch got its own; removed where it is found. */
const LEGACY_SHARED_CONSUMER = 'generation-workers';

/** Each batch's work has its own durable consumer, named after it: workers take turns across them. */
export const WORK_CONSUMER_PREFIX = 'work-';
export const workConsumerName = (batchId: string): string => `${WORK_CONSUMER_PREFIX}${batchId}`;
export const batchIdOfWorkConsumer = (name: string): string | undefined =>
  name.startsWith(WORK_CONSUMER_PREFIX) ? name.slice(WORK_CONSUMER_PREFIX.length) : undefined;

/** A consumer no worker pulled from for this long is removed; the orchestrator makes it again when needed. */
const INACTIVE_THRESHOLD_MS = 60 * 60_000;

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
 * A batch's durable pull consumer. On a work-queue stream consumers must not overlap, and one per
 * batch is what lets workers take turns between batches instead of draining one batch's window
 * before the next batch's first item. No consumer `backoff`: JetStream would let it replace
 * `ack_wait` for messages still being worked on; workers delay their own retries.
 */
export function batchWorkConsumerConfig(
  names: Names,
  batchId: string,
  settings: WorkSettings,
): Partial<ConsumerConfig> {
  return {
    durable_name: workConsumerName(batchId),
    filter_subject: names.work(batchId),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
    max_ack_pending: settings.maxAckPending,
    inactive_threshold: nanos(INACTIVE_THRESHOLD_MS),
  };
}

/** Creates (or brings to these settings) a batch's work consumer; idempotent. */
export async function ensureBatchWorkConsumer(
  jsm: JetStreamManager,
  names: Names,
  batchId: string,
  settings: WorkSettings,
): Promise<void> {
  const config = batchWorkConsumerConfig(names, batchId, settings);
  try {
    await jsm.consumers.add(names.workStream, config);
  } catch {
    await jsm.consumers.update(names.workStream, workConsumerName(batchId), config);
  }
}

/** Removes a batch's work consumer once the batch has ended; one already gone is fine. */
export async function removeBatchWorkConsumer(
  jsm: JetStreamManager,
  names: Names,
  batchId: string,
): Promise<void> {
  await jsm.consumers.delete(names.workStream, workConsumerName(batchId)).catch((error: unknown) => {
    if (!isConsumerNotFound(error)) throw error;
  });
}

/** Creates (or updates) the work stream; idempotent. Removes the shared consumer of earlier versions. */
export async function ensureWork(nc: NatsConnection, names: Names, settings: WorkSettings): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, workStreamConfig(names, settings));
  await jsm.consumers.delete(names.workStream, LEGACY_SHARED_CONSUMER).catch((error: unknown) => {
    if (!isConsumerNotFound(error)) throw error;
  });
}

/** JetStream's advisory that a work message was delivered `maxDeliver` times, for any batch. */
export const maxDeliveriesAdvisories = (names: Names): string =>
  `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${names.workStream}.*`;
