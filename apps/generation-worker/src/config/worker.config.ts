import { z } from 'zod';

const positive = z.coerce.number().int().positive();

/** Every setting of a generation worker, from the environment, with its default (listed in the README). */
export const WorkerConfig = z.object({
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  NATS_NAMESPACE: z.string().default(''),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_SCHEMA: z.string().default('public'),
  /** Items generated at once by this worker. */
  WORKER_CONCURRENCY: positive.default(3),
  /**
   * Extra items a batch with nothing running may start beyond WORKER_CONCURRENCY, so that it never
   * waits behind other batches' slow calls (default: WORKER_CONCURRENCY).
   */
  WORKER_BURST: z.coerce.number().int().nonnegative().optional(),
  /** Retries of a temporary or rate-limited provider failure before the item fails as `permanent`. */
  PROVIDER_MAX_RETRIES: z.coerce.number().int().nonnegative().default(5),
  /** First retry delay; it doubles each time (1, 2, 4, 8, 16 s), unless the provider says when. */
  RETRY_BASE_DELAY_MS: positive.default(1000),
  /** Outcomes of one batch wait at most this long to be committed together. */
  OUTCOME_COMMIT_MS: positive.default(5),
  /** When set, every provider call appends a line `<batchId> <itemId>` to this file (auditing cost). */
  PROVIDER_CALL_LOG: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type WorkerConfig = z.infer<typeof WorkerConfig>;
