import type { BatchConfig, ErrorCategory, ItemSpec } from '@batch/contracts';

export interface GeneratedTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** What a provider says is left of one of its limits, and in how many seconds it is whole again. */
export interface LimitLeft {
  remaining: number;
  resetSeconds: number;
}

export interface Generated {
  persona: string;
  turns: GeneratedTurn[];
  /** Tokens the provider counted for the call, when it says. */
  usage?: Usage;
  /** The model that answered, as the provider names it. */
  model?: string;
  /** How the reply ended, as the provider says (`stop`, `end_turn`...). */
  finishReason?: string;
  /** The provider's rate-limit headers: the shared budget follows them when they say less is left. */
  limitsLeft?: { requests?: LimitLeft; tokens?: LimitLeft };
}

/** Where a batch's calls go: the rate limits of every worker are shared per route. */
export interface Route {
  /** Provider, base URL, model and credential name: calls with the same route draw from one budget. */
  route: string;
  /** The name of the variable holding the key: the operator's limits are per key. */
  credential: string;
}

/** Turns one item into one conversation. */
export interface Provider {
  generate(item: ItemSpec, config: BatchConfig): Promise<Generated>;
  /** Where the batch's calls go; none for an offline provider (only a batch's own rateLimit applies). */
  routeOf?(config: BatchConfig): Route;
}

/** A classified provider failure: temporary and rate_limited are retried, permanent fails the item at once. */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
    readonly retryAfterSeconds?: number,
    readonly details?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export const isProviderError = (error: unknown): error is ProviderError => error instanceof ProviderError;
