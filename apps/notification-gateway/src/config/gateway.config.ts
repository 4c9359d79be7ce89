import { z } from 'zod';
import { baseSettings, port, positiveInt } from '@batch/platform';

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
  })
  .refine((config) => config.AUTH_JWT_SECRET !== undefined || config.AUTH_JWKS_URL !== undefined, {
    message: 'set AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL: the gateway verifies every request',
    path: ['AUTH_JWT_SECRET'],
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;
