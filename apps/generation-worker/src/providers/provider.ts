import type { BatchConfig, ErrorCategory, ItemSpec } from '@batch/contracts';

export interface GeneratedTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Generated {
  persona: string;
  turns: GeneratedTurn[];
}

/** Turns one item into one conversation. */
export interface Provider {
  generate(item: ItemSpec, config: BatchConfig): Promise<Generated>;
}

/** A classified provider failure: temporary and rate_limited are retried, permanent fails the item at once. */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export const isProviderError = (error: unknown): error is ProviderError => error instanceof ProviderError;
