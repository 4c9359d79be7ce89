import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { Names } from '@batch/contracts';
import type { NamedStreamConfig } from '@batch/messaging';

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

/** The append-only log: kept forever (until a batch is cleaned up), never discarding. */
export function eventStreamConfig(names: Names, settings: EventStreamSettings): NamedStreamConfig {
  return {
    name: names.eventsStream,
    subjects: [names.allEvents],
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
