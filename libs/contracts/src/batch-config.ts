import { z } from 'zod';
import { templateIssue } from './prompt-template.js';
import { jsonBytes } from './storable-json.js';

export const ProviderName = z.enum(['template', 'openai', 'anthropic']);
export type ProviderName = z.infer<typeof ProviderName>;

/**
 * A batch's own limits: requests and tokens a minute for its route, shared by every worker (only
 * lower than the operator's limit for its key), and calls at once in each worker.
 */
export const RateLimit = z
  .object({
    requestsPerMinute: z.number().int().positive().max(1_000_000).optional(),
    tokensPerMinute: z.number().int().positive().max(1_000_000_000).optional(),
    concurrency: z.number().int().positive().max(256).optional(),
  })
  .refine((limit) => Object.keys(limit).length > 0, 'set requestsPerMinute, tokensPerMinute or concurrency');
export type RateLimit = z.infer<typeof RateLimit>;

/**
 * A batch's config travels in every work message beside up to 64 KiB of items: together they stay
 * far below NATS's 1 MiB max payload (see MAX_ITEM_BYTES).
 */
export const MAX_CONFIG_BYTES = 64 * 1024;

/** The template provider's simulated latency is a demo and test knob: bounded so it cannot hold a worker for long. */
export const MAX_SIMULATED_LATENCY_MS = 60_000;

/**
 * Names of credentials, compared without case and separators: API keys come from the environment,
 * never from a batch. Only real credential names: `maxTokens` and `tokensPerMinute` are settings.
 */
const CREDENTIAL_NAMES = new Set(['token', 'auth', 'authorization', 'cookie', 'credentials']);
const CREDENTIAL_SUFFIX =
  /(apikey|secret|secretkey|password|passwd|passphrase|privatekey|accesstoken|authtoken|bearertoken|apitoken|refreshtoken|sessiontoken|idtoken)$/;

const isCredentialName = (key: string): boolean => {
  const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return CREDENTIAL_NAMES.has(normalized) || CREDENTIAL_SUFFIX.test(normalized);
};

function checkTemplate(template: string, ctx: z.RefinementCtx): void {
  const issue = templateIssue(template);
  if (issue !== undefined) ctx.addIssue({ code: 'custom', message: issue });
}

const settings = {
  provider: ProviderName.optional(),
  model: z.string().min(1).max(200).optional(),
  baseUrl: z.url().optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().max(1_000_000).optional(),
  /** A Mustache template over the item (`{{topic}}`, `{{parameters.tone}}`), like userPromptTemplate. */
  systemPrompt: z.string().max(20_000).superRefine(checkTemplate).optional(),
  /**
   * What the model is asked for each item, a Mustache template over it; without one, the item's
   * `prompt` parameter or its topic.
   */
  userPromptTemplate: z.string().min(1).max(20_000).superRefine(checkTemplate).optional(),
  rateLimit: RateLimit.optional(),
  latencyMs: z.number().int().nonnegative().max(MAX_SIMULATED_LATENCY_MS).optional(),
  /**
   * The NAME of the environment variable holding the key (`OPENAI_API_KEY_TEAM_B`), one the
   * operator lists in PROVIDER_CREDENTIALS; never a key.
   */
  credential: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,99}$/, 'the name of an environment variable (A-Z, 0-9, _), not a key')
    .optional(),
  /**
   * A budget in US dollars: once the batch's estimated spend reaches it, the batch pauses
   * (`budget_exhausted`) until it is resumed with a higher one.
   */
  maxCostUsd: z.number().positive().max(1_000_000_000).optional(),
};

/** Refuses credentials at any depth (`headers: {Authorization}` too) and configs over MAX_CONFIG_BYTES. */
function checkConfig(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const visit = (node: unknown, path: string[]): void => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (isCredentialName(key))
        ctx.addIssue({
          code: 'custom',
          path: [...path, key],
          message: 'credentials are read from the environment, not a batch config',
        });
      else visit(value, [...path, key]);
    }
  };
  visit(config, []);
  if (jsonBytes(config) > MAX_CONFIG_BYTES)
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: `the config is over ${MAX_CONFIG_BYTES} bytes as JSON`,
    });
}

/**
 * A batch's generation settings. Unknown keys (the seeds' `preset`, `blend`...) are kept and passed
 * to the provider as parameters.
 */
export const BatchConfig = z
  .looseObject({ ...settings, provider: ProviderName.default('template') })
  .superRefine(checkConfig);
export type BatchConfig = z.infer<typeof BatchConfig>;

/** Overrides given on resume: any subset of the settings, merged over the batch's config. */
export const ConfigOverrides = z.looseObject(settings).superRefine(checkConfig);
export type ConfigOverrides = z.infer<typeof ConfigOverrides>;
