import type { BatchConfig, ItemSpec } from '@batch/contracts';
import type { WorkMessage } from '@batch/messaging';
import { CONVERSATION_INSTRUCTION } from '../providers/conversation-reply.js';
import type { Provider } from '../providers/provider.js';
import { defaultPromptOf } from '../providers/provider-failures.js';
import type { Limit } from './budget.js';
import type { Permit, SharedLimiter } from './shared-limiter.js';

/** Seed 004's default: a route takes 50 requests a minute unless the batch or the operator says otherwise. */
export const DEFAULT_REQUESTS_PER_MINUTE = 50;

/** A reply's tokens, before the provider counts them, when the batch sets no `maxTokens`. */
const DEFAULT_REPLY_TOKENS = 1024;

/** The operator's limits per key, by the name of its variable (PROVIDER_RATE_LIMITS). */
export type OperatorLimits = Record<string, Partial<Limit>>;

const lower = (a?: number, b?: number) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** A batch's own rateLimit and the operator's limit for its key: the lower of each, 50 rpm when neither says. */
export function limitFor(config: BatchConfig, operator: Partial<Limit> | undefined): Limit {
  const requestsPerMinute = lower(config.rateLimit?.requestsPerMinute, operator?.requestsPerMinute);
  const tokensPerMinute = lower(config.rateLimit?.tokensPerMinute, operator?.tokensPerMinute);
  return {
    requestsPerMinute: requestsPerMinute ?? DEFAULT_REQUESTS_PER_MINUTE,
    ...(tokensPerMinute === undefined ? {} : { tokensPerMinute }),
  };
}

/**
 * A call's tokens before it is made: its text at about 4 characters a token (a template's own length
 * for its rendering), and the whole reply budget.
 */
export function estimateTokens(item: ItemSpec, config: BatchConfig): number {
  const characters =
    (config.userPromptTemplate ?? defaultPromptOf(item)).length +
    (config.systemPrompt?.length ?? 0) +
    CONVERSATION_INSTRUCTION.length;
  return Math.ceil(characters / 4) + (config.maxTokens ?? DEFAULT_REPLY_TOKENS);
}

const UNLIMITED: Permit = { answered: async () => undefined, rateLimited: async () => undefined };

/**
 * Waits until an item's call is within its route's shared limits and reserves it. A provider's
 * route is limited by default; an offline provider's batch only when it sets a rateLimit (then per
 * batch). Undefined when the item is no longer wanted meanwhile.
 */
export function callLimits(
  limiter: SharedLimiter,
  providers: Record<string, Provider>,
  operator: OperatorLimits,
) {
  return async (
    work: WorkMessage,
    item: ItemSpec,
    stillWanted: () => Promise<boolean>,
  ): Promise<Permit | undefined> => {
    const { config } = work;
    const route = providers[config.provider]?.routeOf?.(config);
    if (!route && !config.rateLimit?.requestsPerMinute && !config.rateLimit?.tokensPerMinute)
      return UNLIMITED;
    const limit = limitFor(config, route ? operator[route.credential] : undefined);
    return limiter.acquire(
      route?.route ?? `batch ${work.batchId}`,
      limit,
      estimateTokens(item, config),
      stillWanted,
    );
  };
}
