import type { ErrorCategory } from './errors.js';

/**
 * Every way a provider call can fail, as the item's error shows it: a stable code, its category
 * (what the retry policy does with it) and a message for the user that never echoes the provider's
 * text (which may quote a key). `temporary` is retried with backoff, `rate_limited` after the delay
 * the provider names, `permanent` fails the item at once. `action_required` (with `pauses`) is the
 * batch's, not the item's (a refused key, an empty balance, an unknown model): the first one pauses the batch with
 * that reason and fails no item; a resume (with another credential, model or base URL) goes on.
 */
export const PROVIDER_ERRORS = {
  ERR_API_RATE_LIMIT: { category: 'rate_limited', message: 'the provider is rate limiting requests' },
  ERR_API_AUTH: {
    category: 'action_required',
    message: 'the provider refused the API key (invalid, or not allowed)',
    pauses: 'provider_auth_failed',
  },
  ERR_API_QUOTA: {
    category: 'action_required',
    message: "the provider account's quota or balance is exhausted",
    pauses: 'quota_exhausted',
  },
  ERR_API_MODEL_NOT_FOUND: {
    category: 'action_required',
    message: 'the provider does not know this model',
    pauses: 'model_not_found',
  },
  ERR_API_BAD_REQUEST: { category: 'permanent', message: 'the provider refused the request as invalid' },
  ERR_API_SERVER: { category: 'temporary', message: 'the provider failed (server error)' },
  ERR_API_TIMEOUT: { category: 'temporary', message: 'the provider did not answer in time' },
  ERR_NET_CONNECTION: { category: 'temporary', message: 'the provider could not be reached' },
  ERR_GEN_EMPTY_REPLY: { category: 'permanent', message: 'the model returned an empty reply' },
  ERR_GEN_CONTENT_FILTER: {
    category: 'permanent',
    message: "the provider's content filter stopped the reply",
  },
  ERR_GEN_PARSE: { category: 'permanent', message: "the provider's answer could not be read" },
  ERR_GEN_REPLY_FORMAT: {
    category: 'permanent',
    message:
      'the model did not answer with the JSON conversation asked for ({persona, turns: [{role, content}]})',
  },
  ERR_GEN_TEMPLATE: {
    category: 'permanent',
    message: 'the prompt template names a variable the item has no value for',
  },
  ERR_GEN_UNKNOWN: { category: 'temporary', message: 'generating the conversation failed unexpectedly' },
  ERR_GEN_RETRIES_EXHAUSTED: {
    category: 'permanent',
    message: 'the item kept failing and its retries are used up',
  },
  ERR_GEN_TRUNCATED: {
    category: 'permanent',
    message: 'the reply was cut off at maxTokens before the conversation was complete',
  },
} as const satisfies Record<string, { category: ErrorCategory; message: string; pauses?: string }>;

export type ProviderErrorCode = keyof typeof PROVIDER_ERRORS;

/** The reason a batch is paused for when one of its calls failed with `code`, if the failure is the batch's. */
export function pauseReasonOf(code: string): string | undefined {
  const known = (PROVIDER_ERRORS as Record<string, { pauses?: string }>)[code];
  return known?.pauses;
}
