import { z } from 'zod';
import { priceTableSetting } from './model-prices.js';

export const positiveInt = z.coerce.number().int().positive();
export const port = z.coerce.number().int().min(0).max(65_535);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * The settings every service reads (listed in the README with their defaults). A service extends
 * this object with its own keys: `baseSettings.extend({...})`. The OpenTelemetry SDK reads its own
 * `OTEL_*` variables; `OTEL_TRACES_EXPORTER` and `OTEL_EXPORTER_OTLP_*` are listed here so that a
 * typo'd value stops the service rather than silently exporting nothing.
 */
export const baseSettings = z.object({
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** Prefixes every stream, bucket and subject (tests and tenants sharing one NATS server). */
  NATS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .optional(),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_SCHEMA: z.string().default('public'),
  LOG_LEVEL: logLevel.default('info'),
  /** The service's own small HTTP server: /healthz, /readyz, /metrics (0: any free port). */
  OPS_PORT: port.optional(),
  OPS_HOST: z.string().default('0.0.0.0'),
  /** How long SIGTERM may take (in-flight work finishing, commits flushed) before the process exits anyway. */
  SHUTDOWN_GRACE_MS: positiveInt.default(25_000),
  /** Traces are exported (OTLP) only when one of these is set; see the README's tracing section. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
  /**
   * Names of the environment variables a batch may choose its provider key from
   * (`config.credential`), comma-separated; the orchestrator refuses others, workers read only these.
   */
  PROVIDER_CREDENTIALS: z
    .string()
    .default('')
    .transform(
      (names) =>
        new Set(
          names
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean),
        ),
    ),
  /**
   * A JSON price table (`{"models": {"<model>": {"inputUsdPerMillion", "outputUsdPerMillion"}}}`)
   * merged over the shipped defaults; parsed into the merged table, which prices each call's tokens.
   */
  MODEL_PRICES_FILE: z.string().optional().transform(priceTableSetting),
});
export type BaseSettings = z.infer<typeof baseSettings>;

/** A variable the service cannot run with; the message names it. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`bad settings: ${problems.join('; ')}`);
    this.name = 'SettingsError';
  }
}

/** The environment without its empty variables: `AUTH_JWT_SECRET=` is unset, everywhere. */
const withoutEmpty = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );

/** Parses the settings once, at start; a bad value is a SettingsError naming each variable. */
export function parseSettings<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(withoutEmpty(env));
  if (parsed.success) return parsed.data;
  throw new SettingsError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`),
  );
}
