import { z } from 'zod';
import { baseSettings, positiveInt } from '@batch/platform';

/** Every setting of a generation worker, from the environment, with its default (listed in the README). */
export const WorkerConfig = baseSettings.extend({
  /** Items generated at once by this worker. */
  WORKER_CONCURRENCY: positiveInt.default(3),
  /**
   * Extra items a batch with nothing running may start beyond WORKER_CONCURRENCY, so that it never
   * waits behind other batches' slow calls (default: WORKER_CONCURRENCY).
   */
  WORKER_BURST: z.coerce.number().int().nonnegative().optional(),
  /** Retries of a temporary or rate-limited provider failure before the item fails as `permanent`. */
  PROVIDER_MAX_RETRIES: z.coerce.number().int().nonnegative().default(5),
  /** First retry delay; it doubles each time (1, 2, 4, 8, 16 s), unless the provider says when. */
  RETRY_BASE_DELAY_MS: positiveInt.default(1000),
  /** Outcomes of one batch wait at most this long to be committed together. */
  OUTCOME_COMMIT_MS: positiveInt.default(5),
  /**
   * The operator's rate limits per key, by the name of its variable, as JSON:
   * `{"OPENAI_API_KEY": {"requestsPerMinute": 500, "tokensPerMinute": 200000}}`. A batch's
   * `rateLimit` may only go lower. A key without one: the batch's own limit, else 50 requests a minute.
   */
  PROVIDER_RATE_LIMITS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(
      z.record(
        z.string().regex(/^[A-Z][A-Z0-9_]{0,99}$/, 'the name of a key variable'),
        z.strictObject({
          requestsPerMinute: z.number().int().positive().optional(),
          tokensPerMinute: z.number().int().positive().optional(),
        }),
      ),
    )
    .default({}),
  /** When set, every provider call appends `<batchId> <itemId> <pid> <ms since epoch>` to this file (auditing cost). */
  PROVIDER_CALL_LOG: z.string().optional(),
});
export type WorkerConfig = z.infer<typeof WorkerConfig>;
