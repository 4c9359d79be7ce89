import { Inject, Injectable } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import {
  CreateWebhookBody,
  isValidationError,
  ListWebhookDeliveriesQuery,
  WebhookId,
  type CreatedWebhook,
  type Names,
  type WebhookDeliveryList,
  type WebhookList,
  type WebhookView,
} from '@batch/contracts';
import { DATA_SOURCE, JETSTREAM_MANAGER, LOGGER, NAMES, SETTINGS, type Logger } from '@batch/platform';
import type { GatewayConfig } from '../config/gateway.config.js';
import { ApiError, validationError } from '../http/api-error.js';
import { parseRequest } from '../http/parse-request.js';
import { hostOf, RefusedAddressError, resolveDeliverable, UnresolvedHostError } from './address-policy.js';
import { endpointSecret, WEBHOOK_SIGNING, type WebhookSigning } from './webhook-secrets.js';
import { purgeDeliveries } from './webhook-streams.js';
import { webhookStore, type WebhookStore } from './webhook-store.js';

const DEFAULT_PAGE = 100;

/** The user's webhook endpoints: created with a checked URL, listed, read, deleted, and their attempts. */
@Injectable()
export class WebhooksService {
  private readonly store: WebhookStore;

  constructor(
    @Inject(DATA_SOURCE) ds: DataSource,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    @Inject(NAMES) private readonly names: Names,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SETTINGS) private readonly config: GatewayConfig,
    @Inject(WEBHOOK_SIGNING) private readonly signing: WebhookSigning,
  ) {
    this.store = webhookStore(ds);
  }

  /** 201 with the secret, shown this once; the URL's host must resolve to public addresses only. */
  async create(userId: string, body: unknown): Promise<CreatedWebhook> {
    const key = this.signingKey();
    const request = parseRequest(CreateWebhookBody, body, 'webhook');
    const url = new URL(request.url);
    await this.checkReachable(url);
    const endpointId = `wh_${ulid()}`;
    const created = await this.store.insert(
      {
        endpointId,
        userId,
        url: url.href,
        events: request.events,
        description: request.description ?? null,
        createdAt: new Date(),
      },
      this.config.WEBHOOK_MAX_ENDPOINTS_PER_USER,
    );
    if (!created)
      throw new ApiError(
        'conflict',
        `a user may have at most ${this.config.WEBHOOK_MAX_ENDPOINTS_PER_USER} webhooks: delete one first`,
      );
    return { ...created, secret: endpointSecret(key, endpointId) };
  }

  async list(userId: string): Promise<WebhookList> {
    this.signingKey();
    return { webhooks: await this.store.list(userId) };
  }

  async get(userId: string, id: string): Promise<WebhookView> {
    this.signingKey();
    const endpoint = WebhookId.safeParse(id).success ? await this.store.get(userId, id) : undefined;
    if (!endpoint) throw notFound(id);
    return endpoint;
  }

  /** Deletes the endpoint and its attempts; deliveries still queued for it are dropped. */
  async remove(userId: string, id: string): Promise<void> {
    this.signingKey();
    if (!WebhookId.safeParse(id).success || !(await this.store.remove(userId, id))) throw notFound(id);
    // Best effort: a delivery the purge misses finds its endpoint gone and is dropped unsent.
    await purgeDeliveries(this.jsm, this.names, id).catch((error: unknown) =>
      this.logger.warn({ err: error, endpointId: id }, 'purging a deleted webhook’s deliveries failed'),
    );
  }

  async deliveries(userId: string, id: string, query: unknown): Promise<WebhookDeliveryList> {
    const { cursor, limit } = parseRequest(ListWebhookDeliveriesQuery, query, 'query');
    await this.get(userId, id);
    return this.store.attempts(id, { cursor, limit: limit ?? DEFAULT_PAGE }).catch((error: unknown) => {
      throw isValidationError(error) ? validationError(error.what, error.issues) : error;
    });
  }

  private signingKey(): Buffer {
    if (!this.signing.key)
      throw new ApiError(
        'unavailable',
        'webhooks are not available: set WEBHOOK_SIGNING_KEY on the gateway (it has no AUTH_JWT_SECRET to derive one from)',
      );
    return this.signing.key;
  }

  private async checkReachable(url: URL): Promise<void> {
    try {
      await resolveDeliverable(hostOf(url), this.config.WEBHOOK_ALLOW_PRIVATE);
    } catch (error) {
      if (error instanceof RefusedAddressError || error instanceof UnresolvedHostError)
        throw validationError('webhook', [{ field: 'url', message: error.message }]);
      throw error;
    }
  }
}

const notFound = (id: string) => new ApiError('not_found', `webhook ${id.slice(0, 100)} not found`);
