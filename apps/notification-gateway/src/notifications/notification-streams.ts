import type { FactoryProvider } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Names } from '@batch/contracts';
import { ensureBackupFactsStream, ensureFactsStream, ensureNotificationsStream } from '@batch/messaging';
import { JETSTREAM_MANAGER, NAMES, SETTINGS } from '@batch/platform';
import type { GatewayConfig } from '../config/gateway.config.js';

/** Resolved once the streams the notifications read and write exist: inject it to depend on them. */
export const NOTIFICATION_STREAMS = Symbol('NOTIFICATION_STREAMS');

export const notificationStreamsProvider: FactoryProvider<true> = {
  provide: NOTIFICATION_STREAMS,
  inject: [JETSTREAM_MANAGER, NAMES, SETTINGS],
  useFactory: async (jsm: JetStreamManager, names: Names, config: GatewayConfig) => {
    await ensureNotificationsStream(jsm, names, {
      replicas: config.EVENTS_REPLICAS,
      maxAgeMs: config.NOTIFICATIONS_MAX_AGE_MS,
      maxBytes: config.NOTIFICATIONS_MAX_BYTES,
    });
    // The gateway may start before the services that publish facts: their streams must exist to be read.
    await ensureFactsStream(jsm, names, config.EVENTS_REPLICAS);
    await ensureBackupFactsStream(jsm, names, config.EVENTS_REPLICAS);
    return true as const;
  },
};
