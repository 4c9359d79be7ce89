import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import type { Names } from '@batch/contracts';
import {
  DATA_SOURCE,
  JETSTREAM,
  JETSTREAM_MANAGER,
  LOGGER,
  NAMES,
  SETTINGS,
  type Logger,
} from '@batch/platform';
import type { GatewayConfig } from '../config/gateway.config.js';
import { pullLoop, slots, type PullLoop } from './pull-loop.js';
import { attemptDelivery } from './webhook-attempt.js';
import { dispatchNotification } from './webhook-dispatch.js';
import { WEBHOOK_SIGNING, type WebhookSigning } from './webhook-secrets.js';
import { DELIVERER_CONSUMER, DISPATCHER_CONSUMER, ensureWebhookStreams } from './webhook-streams.js';
import { webhookStore } from './webhook-store.js';

/** Notifications looked at per pull; each is a query and a publish per subscribed endpoint. */
const DISPATCH_BATCH = 100;
/** A message that failed for a reason of ours (PostgreSQL or NATS away) comes back after this. */
const RETRY_AFTER_ERROR_MS = 5_000;

/**
 * The two halves of webhook delivery in every gateway replica, each a durable pull consumer shared
 * by all replicas: the dispatcher turns NOTIFICATIONS into deliveries on WEBHOOK_DELIVERIES, the
 * deliverer makes their attempts, WEBHOOK_CONCURRENCY at once. Without a signing key (JWKS auth and
 * no WEBHOOK_SIGNING_KEY) neither runs.
 */
@Injectable()
export class WebhookWorkers implements OnApplicationBootstrap, OnApplicationShutdown {
  private loops: PullLoop[] = [];
  private readonly underWay = new Set<Promise<void>>();

  constructor(
    @Inject(JETSTREAM) private readonly js: JetStreamClient,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    @Inject(NAMES) private readonly names: Names,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SETTINGS) private readonly config: GatewayConfig,
    @Inject(WEBHOOK_SIGNING) private readonly signing: WebhookSigning,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { js, jsm, names, ds, logger, config, signing } = this;
    if (!signing.key) {
      logger.warn('webhooks are off: set WEBHOOK_SIGNING_KEY (or AUTH_JWT_SECRET) to sign their deliveries');
      return;
    }
    await ensureWebhookStreams(jsm, names, config);
    const store = webhookStore(ds);
    const settle = (message: JsMsg, what: string) => (error: unknown) => {
      logger.warn({ err: error, seq: message.seq }, `${what} failed; it is tried again`);
      message.nak(RETRY_AFTER_ERROR_MS);
    };
    this.loops.push(
      pullLoop(() => js.consumers.get(names.notificationsStream, DISPATCHER_CONSUMER), {
        room: () => Promise.resolve(DISPATCH_BATCH),
        take: (message) =>
          dispatchNotification(message, { js, names, store, logger }).catch(
            settle(message, 'dispatching a webhook'),
          ),
        onError: (error) => logger.warn({ err: error }, 'webhook dispatcher: pull failed, retrying'),
      }),
    );
    const attempts = slots(config.WEBHOOK_CONCURRENCY);
    const deps = {
      store,
      logger,
      signingKey: signing.key,
      retry: { delaysMs: config.WEBHOOK_RETRY_DELAYS_MS, maxAgeMs: config.WEBHOOK_MAX_AGE_MS },
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    };
    this.loops.push(
      pullLoop(() => js.consumers.get(names.webhookDeliveriesStream, DELIVERER_CONSUMER), {
        room: attempts.room,
        take: async (message) => {
          attempts.take();
          const attempt = attemptDelivery(message, deps)
            .catch(settle(message, 'a webhook delivery attempt'))
            .finally(() => {
              attempts.release();
              this.underWay.delete(attempt);
            });
          this.underWay.add(attempt);
        },
        onError: (error) => logger.warn({ err: error }, 'webhook deliverer: pull failed, retrying'),
      }),
    );
  }

  /** Stops pulling, then lets the attempts under way end (each is bounded by WEBHOOK_TIMEOUT_MS). */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
    await Promise.allSettled([...this.underWay]);
  }
}
