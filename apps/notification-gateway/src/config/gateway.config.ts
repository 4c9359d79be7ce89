import { z } from 'zod';
import { baseSettings, port, positiveInt } from '@batch/platform';
import { DEFAULT_CONSOLE_DIR } from '../http/console-files.js';

/** Every setting of the gateway, from the environment, with its default (listed in the README). */
export const GatewayConfig = baseSettings
  .extend({
    GATEWAY_PORT: port.default(3000),
    GATEWAY_HOST: z.string().default('0.0.0.0'),
    /** HS256 secret that signs and verifies tokens; or verify with AUTH_JWKS_URL's keys instead. */
    AUTH_JWT_SECRET: z.string().optional(),
    AUTH_JWKS_URL: z.url().optional(),
    /** When set, tokens must carry this issuer / audience. */
    AUTH_ISSUER: z.string().optional(),
    AUTH_AUDIENCE: z.string().optional(),
    /** Largest request body accepted; larger is a 413. 100,000 items of ~200 bytes is ~20 MB. */
    MAX_BODY_BYTES: positiveInt.default(64 * 1024 * 1024),
    /**
     * Requests per user per RATE_LIMIT_WINDOW_MS before a 429. The throttler keeps a timestamp per
     * request in the window, so a short window keeps that small (a 60 s window cost 10% CPU at 500/s).
     */
    RATE_LIMIT_REQUESTS: positiveInt.default(100),
    RATE_LIMIT_WINDOW_MS: positiveInt.default(1000),
    /** How long a command or query may wait for the orchestrator before the answer is a 503. */
    ORCHESTRATOR_TIMEOUT_MS: positiveInt.default(30_000),
    /** How long a backup being made, or a restore waited for (`?wait=true`), may take before a 503. */
    BACKUP_TIMEOUT_MS: positiveInt.default(900_000),
    /** Largest backup file `POST /api/backup` takes to restore (it streams to storage; larger is a 413). */
    MAX_RESTORE_BYTES: positiveInt.default(4 * 1024 * 1024 * 1024),
    /** A download link (`POST /api/v1/backups/:id/download-link`) opens once, within this. */
    DOWNLOAD_LINK_TTL_MS: positiveInt.default(300_000),
    /** The web console's built files, served at `/` when there (`npm run build:console` makes them). */
    CONSOLE_DIR: z.string().default(DEFAULT_CONSOLE_DIR),
    /** Replicas of the streams the gateway creates (notifications; facts when it starts first): 3 on a NATS cluster. */
    EVENTS_REPLICAS: positiveInt.default(1),
    /** Notifications are kept this long (a client resuming from an older one gets `resync`). */
    NOTIFICATIONS_MAX_AGE_MS: positiveInt.default(86_400_000),
    /** And at most this many bytes, the oldest dropped first. */
    NOTIFICATIONS_MAX_BYTES: positiveInt.default(1024 * 1024 * 1024),
    /** Identical errors (same dedupKey) for one user within this are told once, then with their count. */
    ERROR_DEDUP_WINDOW_MS: positiveInt.default(5_000),
    /** Error details (`GET /api/v1/errors/:id`) are kept this long. */
    ERROR_RETENTION_DAYS: positiveInt.default(30),
    /** One gateway replica turns facts into notifications; another takes over this long after it stops. */
    NOTIFIER_LEASE_MS: positiveInt.default(10_000),
    /** A WebSocket client whose unsent messages pass this is disconnected (close 4008) and must resume. */
    WS_MAX_BUFFERED_BYTES: positiveInt.default(1024 * 1024),
    /** A socket that is not authenticated (`?token=` or an `auth` message) within this is closed (4001). */
    WS_AUTH_TIMEOUT_MS: positiveInt.default(5_000),
    /** Every socket is pinged this often; one that did not answer the previous ping is closed. */
    WS_HEARTBEAT_MS: positiveInt.default(30_000),
    /** Open sockets per user at most; one more is closed (4029). */
    WS_MAX_CONNECTIONS_PER_USER: positiveInt.default(100),
    /**
     * Signs webhook deliveries: each endpoint's secret is derived from it and the endpoint id. Unset:
     * derived from AUTH_JWT_SECRET; with neither (JWKS auth), the webhook routes answer 503.
     */
    WEBHOOK_SIGNING_KEY: z.string().min(32, 'at least 32 characters').optional(),
    /** Webhook URLs may resolve to private, loopback and link-local addresses (tests, a closed network). */
    WEBHOOK_ALLOW_PRIVATE: z.stringbool().default(false),
    /** One delivery attempt (connect, send, the receiver's status) may take this long. */
    WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
    /** Waits before each retry of a failed delivery, comma-separated ms; the last repeats. */
    WEBHOOK_RETRY_DELAYS_MS: z
      .string()
      .default('5000,30000,120000,600000,1800000,3600000,7200000,14400000,28800000')
      .pipe(z.string().regex(/^\d+(,\d+)*$/, 'comma-separated milliseconds, e.g. 5000,30000,120000'))
      .transform((list) => list.split(',').map(Number)),
    /** A delivery is retried until this long after its first attempt, then given up. */
    WEBHOOK_MAX_AGE_MS: positiveInt.default(86_400_000),
    /** Delivery attempts under way at once in one gateway replica. */
    WEBHOOK_CONCURRENCY: positiveInt.default(16),
    /** Webhook endpoints one user may have. */
    WEBHOOK_MAX_ENDPOINTS_PER_USER: positiveInt.default(25),
  })
  .refine((config) => config.AUTH_JWT_SECRET !== undefined || config.AUTH_JWKS_URL !== undefined, {
    message: 'set AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL: the gateway verifies every request',
    path: ['AUTH_JWT_SECRET'],
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;
