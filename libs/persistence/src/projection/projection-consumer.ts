import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerInfo,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { isConsumerNotFound } from '@batch/messaging';

export interface ProjectionConsumerSpec {
  stream: string;
  durable: string;
  filter: string;
  /** At least the projector's batch size, so a batch can fill. */
  maxAckPending: number;
}

const NANOS_PER_MS = 1_000_000;
/** Far above a transaction's duration: a redelivery while a batch is still applying would be wasted. */
const ACK_WAIT_NANOS = 5 * 60_000 * NANOS_PER_MS;
/** A projector that dies without stopping leaves its consumer behind: the server removes it after this. */
const INACTIVE_THRESHOLD_NANOS = 10 * 60_000 * NANOS_PER_MS;

/**
 * Whether the durable consumer can carry on from the checkpoint as it is. It must not have
 * delivered anything past the checkpoint: such messages were never applied (a crash before commit,
 * or a rebuilt database), and their redelivery would come after newer ones, out of order. Delivering
 * from before the checkpoint is fine: those messages are skipped.
 */
export function canResumeFrom(
  info: Pick<ConsumerInfo, 'config' | 'delivered'>,
  checkpoint: number,
  spec: ProjectionConsumerSpec,
): boolean {
  const { config, delivered } = info;
  return (
    config.filter_subject === spec.filter &&
    config.ack_policy === AckPolicy.Explicit &&
    (config.max_ack_pending ?? 0) >= spec.maxAckPending &&
    delivered.stream_seq <= checkpoint
  );
}

/**
 * The projection's durable pull consumer, positioned right after the checkpoint: reused when it can
 * resume from there, recreated otherwise (the database, not the consumer, holds the position).
 */
export async function openProjectionConsumer(
  nc: NatsConnection,
  spec: ProjectionConsumerSpec,
  checkpoint: number,
): Promise<Consumer> {
  const jsm = await jetstreamManager(nc);
  const existing = await jsm.consumers.info(spec.stream, spec.durable).catch((error: unknown) => {
    if (isConsumerNotFound(error)) return undefined;
    throw error;
  });
  if (!existing || !canResumeFrom(existing, checkpoint, spec)) {
    if (existing) await jsm.consumers.delete(spec.stream, spec.durable);
    await jsm.consumers.add(spec.stream, {
      durable_name: spec.durable,
      filter_subject: spec.filter,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ACK_WAIT_NANOS,
      inactive_threshold: INACTIVE_THRESHOLD_NANOS,
      max_ack_pending: spec.maxAckPending,
      ...(checkpoint === 0
        ? { deliver_policy: DeliverPolicy.All }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: checkpoint + 1 }),
    });
  }
  return jetstream(nc).consumers.get(spec.stream, spec.durable);
}

/** Removes the projector's consumer when it stops; one already gone is fine. */
export async function deleteProjectionConsumer(
  nc: NatsConnection,
  spec: ProjectionConsumerSpec,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.delete(spec.stream, spec.durable).catch((error: unknown) => {
    if (!isConsumerNotFound(error)) throw error;
  });
}
