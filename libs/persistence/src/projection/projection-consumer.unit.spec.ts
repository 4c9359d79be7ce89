import { describe, expect, it } from '@jest/globals';
import { AckPolicy, type ConsumerInfo } from '@nats-io/jetstream';
import { canResumeFrom, type ProjectionConsumerSpec } from './projection-consumer.js';

const spec: ProjectionConsumerSpec = {
  stream: 'BATCH_EVENTS',
  durable: 'projection-batches',
  filter: 'batch.events.>',
  maxAckPending: 1000,
};
const consumer = (deliveredSeq: number, config: Partial<ConsumerInfo['config']> = {}) =>
  ({
    config: { filter_subject: spec.filter, ack_policy: AckPolicy.Explicit, max_ack_pending: 1000, ...config },
    delivered: { stream_seq: deliveredSeq, consumer_seq: deliveredSeq, last_active: 0 },
  }) as Pick<ConsumerInfo, 'config' | 'delivered'>;

describe('whether the durable consumer can carry on from the checkpoint', () => {
  it('carries on when it delivered nothing past the checkpoint', () => {
    expect(canResumeFrom(consumer(40), 40, spec)).toBe(true);
    expect(canResumeFrom(consumer(0), 0, spec)).toBe(true);
  });

  it('carries on when it is behind the checkpoint: what it redelivers is skipped', () => {
    expect(canResumeFrom(consumer(10), 40, spec)).toBe(true);
  });

  it('starts over when it delivered messages that were never applied', () => {
    expect(canResumeFrom(consumer(41), 40, spec)).toBe(false);
    expect(canResumeFrom(consumer(500), 0, spec)).toBe(false);
  });

  it('starts over when its configuration is not the projection’s', () => {
    expect(canResumeFrom(consumer(0, { filter_subject: 'other.>' }), 0, spec)).toBe(false);
    expect(canResumeFrom(consumer(0, { ack_policy: AckPolicy.All }), 0, spec)).toBe(false);
    expect(canResumeFrom(consumer(0, { max_ack_pending: 100 }), 0, spec)).toBe(false);
  });
});
