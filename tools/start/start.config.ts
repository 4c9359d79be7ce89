import { resolve } from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS } from './log-lines.js';
import { repositoryRoot, SERVICES, START_MODES, type ServiceName } from './services.js';

const port = z.coerce.number().int().min(1).max(65_535);
const positive = z.coerce.number().int().positive();
const serviceNames = SERVICES.map((service) => service.name);

/** Every setting of `npm start`, from the environment, with its default (listed in the README). */
export const StartConfig = z.object({
  /** `built`: the services run from dist/ (built first); `dev`: from the sources, restarted on change. */
  START_MODE: z.enum(START_MODES).default('built'),
  /** Where the servers npm start runs keep their data, and the generated auth secret. */
  DATA_DIR: z
    .string()
    .default('.data')
    .transform((dir) => resolve(repositoryRoot, dir)),
  NATS_URL: z.string().optional(),
  NATS_PORT: port.default(4222),
  NATS_NAMESPACE: z.string().default(''),
  DATABASE_URL: z.string().optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower case letters, digits and _')
    .default('public'),
  POSTGRES_PORT: port.default(5432),
  POSTGRES_USER: z.string().min(1).default('postgres'),
  POSTGRES_PASSWORD: z.string().min(1).default('postgres'),
  S3_ENDPOINT: z.url().optional(),
  S3_PORT: port.default(9000),
  S3_ACCESS_KEY: z.string().default('S3RVER'),
  S3_SECRET_KEY: z.string().default('S3RVER'),
  S3_BUCKET: z.string().min(3).default('batch-backups'),
  GATEWAY_PORT: port.default(3000),
  AUTH_JWT_SECRET: z.string().min(1).optional(),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  DEV_USER: z.string().min(1).max(200).default('dev-user'),
  DEV_TOKEN_TTL: z
    .string()
    .regex(/^\d+[smhdw]$/, 'a number followed by s, m, h, d or w, e.g. 30d')
    .default('30d'),
  SERVICES: z
    .string()
    .default(serviceNames.join(','))
    .transform((list) => list.split(',').map((name) => name.trim()))
    .pipe(z.array(z.enum(serviceNames as [ServiceName, ...ServiceName[]])).min(1)),
  /** The services' own level; their ready lines are info lines, which the launcher waits for. */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info']).default('info'),
  SHOW_LOG_LEVEL: z.enum(LOG_LEVELS).default('warn'),
  READY_TIMEOUT_MS: positive.default(90_000),
  STOP_GRACE_MS: positive.default(10_000),
  RESTART_BASE_DELAY_MS: positive.default(1_000),
  RESTART_MAX_DELAY_MS: positive.default(30_000),
  RESTART_RESET_AFTER_MS: positive.default(60_000),
});
export type StartConfig = z.infer<typeof StartConfig>;

/** Parses the environment once; an empty variable counts as unset (`NATS_URL= npm start`). */
export function loadStartConfig(env: NodeJS.ProcessEnv): StartConfig {
  const setVariables = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = StartConfig.safeParse(setVariables);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid settings:\n${problems.join('\n')}`);
}
