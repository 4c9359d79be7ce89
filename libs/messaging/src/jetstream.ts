import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';

/** A stream's settings, named: what `ensureStream` creates or brings a stream to. */
export type NamedStreamConfig = Partial<StreamConfig> & { name: string };

const STREAM_NAME_IN_USE = 10058;

/** Creates the stream, or brings an existing one to this config. Safe to call from every replica at once. */
export async function ensureStream(jsm: JetStreamManager, config: NamedStreamConfig): Promise<void> {
  const { name } = config;
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
    const { config: current } = await jsm.streams.info(name);
    const { storage: _fixedStorage, ...changeable } = config;
    await jsm.streams.update(name, { ...current, ...changeable });
  }
}

/** JetStream answered that the consumer does not exist (never made, deleted, or expired). */
export const isConsumerNotFound = (error: unknown): boolean =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound;
