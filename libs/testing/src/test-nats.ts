import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { names, type Names } from '@batch/contracts';
import { uniqueNamespace } from './namespace.js';

export interface TestNats {
  nc: NatsConnection;
  url: string;
  namespace: string;
  names: Names;
  /** Deletes every stream and KV bucket of this namespace, then closes the connection. */
  close(): Promise<void>;
}

export const natsUrl = (): string => {
  const url = process.env.NATS_URL;
  if (!url) throw new Error('NATS_URL is not set: run tests through jest (its global setup finds NATS)');
  return url;
};

export async function testNats(): Promise<TestNats> {
  const url = natsUrl();
  const namespace = uniqueNamespace();
  const nc = await connect({ servers: url, name: `test-${namespace}` });
  return {
    nc,
    url,
    namespace,
    names: names(namespace),
    close: async () => {
      await removeNamespace(nc, namespace);
      await nc.close();
    },
  };
}

export async function removeNamespace(nc: NatsConnection, namespace: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const owned = [];
  for await (const stream of jsm.streams.names())
    if (stream.startsWith(`${namespace}_`) || stream.startsWith(`KV_${namespace}_`)) owned.push(stream);
  await Promise.all(owned.map((stream) => jsm.streams.delete(stream)));
}
