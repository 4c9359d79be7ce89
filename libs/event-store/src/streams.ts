import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NamedStreamConfig } from '@batch/messaging';
import type { AggregateType } from './aggregate-type.js';

/** The knobs of the event stream; everything else about it is fixed here. */
export interface EventStreamSettings {
  replicas: number;
  /** How long JetStream remembers a Nats-Msg-Id to drop a repeated commit. */
  duplicateWindowMs: number;
  /** Largest commit the stream accepts; at most the server's max payload. */
  maxMessageBytes: number;
  storage: 'file' | 'memory';
}

export const defaultEventStreamSettings: EventStreamSettings = {
  replicas: 1,
  duplicateWindowMs: 2 * 60_000,
  maxMessageBytes: 1024 * 1024,
  storage: 'file',
};

const nanos = (ms: number) => ms * 1_000_000;

/** The append-only log of one aggregate type: kept forever (until an aggregate is cleaned up), never discarding. */
export function eventStreamConfig(
  aggregate: Pick<AggregateType<unknown>, 'streamName' | 'allEvents'>,
  settings: EventStreamSettings,
): NamedStreamConfig {
  return {
    name: aggregate.streamName,
    subjects: [aggregate.allEvents],
    retention: RetentionPolicy.Limits,
    storage: settings.storage === 'file' ? StorageType.File : StorageType.Memory,
    num_replicas: settings.replicas,
    duplicate_window: nanos(settings.duplicateWindowMs),
    max_msg_size: settings.maxMessageBytes,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    discard: DiscardPolicy.Old,
    allow_direct: true,
    deny_delete: true,
  };
}
