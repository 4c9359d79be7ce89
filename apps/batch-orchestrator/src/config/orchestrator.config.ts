import { hostname } from 'node:os';
import { z } from 'zod';

const positive = z.coerce.number().int().positive();

/** Every setting of the orchestrator, from the environment, with its default (listed in the README). */
export const OrchestratorConfig = z.object({
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** Prefixes every stream, bucket and subject (tests and tenants sharing one NATS server). */
  NATS_NAMESPACE: z.string().default(''),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_SCHEMA: z.string().default('public'),
  /** Items of one batch handed to workers and not yet settled, at most. */
  DISPATCH_WINDOW: positive.default(1000),
  ITEMS_PER_WORK_MESSAGE: positive.default(10),
  SNAPSHOT_EVERY_EVENTS: positive.default(10_000),
  /** Names this replica's hold on the batches it dispatches; a restarted replica takes its own back at once. */
  ORCHESTRATOR_REPLICA_ID: z.string().min(1).default(hostname()),
  /** A replica that stops renewing its hold on a batch loses it to another after this long. */
  DISPATCH_LEASE_MS: positive.default(15_000),
  /** A work message goes to another worker when its worker has not heartbeated for this long. */
  WORK_ACK_WAIT_MS: positive.default(10_000),
  WORK_MAX_DELIVER: positive.default(5),
  /** A failed dispatch is tried again after this, doubling (1, 2, 4 ... 30 s). */
  DISPATCH_RETRY_BASE_MS: positive.default(1_000),
  EVENTS_REPLICAS: positive.default(1),
  EVENTS_DUPLICATE_WINDOW_MS: positive.default(120_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type OrchestratorConfig = z.infer<typeof OrchestratorConfig>;
