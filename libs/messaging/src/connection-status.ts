import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/**
 * Whether the connection is up, from its status events: false from a disconnect until the client has
 * reconnected. Callers fail fast or hold back work meanwhile instead of waiting out timeouts.
 */
export function trackConnection(nc: NatsConnection, logger: Logger): () => boolean {
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        connected = status.type === 'reconnect';
        logger.warn({ server: status.server }, `NATS ${status.type}`);
      }
    }
  })();
  return () => connected;
}
