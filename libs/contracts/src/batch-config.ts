import { z } from 'zod';

export const ProviderName = z.enum(['template', 'openai']);
export type ProviderName = z.infer<typeof ProviderName>;

export const RateLimit = z.object({
  requestsPerMinute: z.number().int().positive().max(1_000_000),
  tokensPerMinute: z.number().int().positive().optional(),
  concurrency: z.number().int().positive().max(256),
});
export type RateLimit = z.infer<typeof RateLimit>;

/** Keys that look like credentials: API keys come from the environment, never from a batch. */
const SECRET_KEY = /(api[-_]?key|secret|token|password|authorization)/i;

const settings = {
  provider: ProviderName.optional(),
  model: z.string().min(1).max(200).optional(),
  baseUrl: z.url().optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().max(1_000_000).optional(),
  systemPrompt: z.string().max(20_000).optional(),
  rateLimit: RateLimit.optional(),
};

function refuseCredentials(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const key of Object.keys(config))
    if (SECRET_KEY.test(key))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'credentials are read from the environment, not a batch config',
      });
}

/**
 * A batch's generation settings. Unknown keys (the seeds' `preset`, `blend`...) are kept and passed
 * to the provider as parameters.
 */
export const BatchConfig = z
  .looseObject({ ...settings, provider: ProviderName.default('template') })
  .superRefine(refuseCredentials);
export type BatchConfig = z.infer<typeof BatchConfig>;

/** Overrides given on resume: any subset of the settings, merged over the batch's config. */
export const ConfigOverrides = z.looseObject(settings).superRefine(refuseCredentials);
export type ConfigOverrides = z.infer<typeof ConfigOverrides>;
