import { PROVIDER_ERRORS, type ErrorShape } from '@batch/contracts';
import { redact } from '@batch/platform';
import { isProviderError } from '../providers/provider.js';

/** Retries of a temporary or rate-limited failure, and the first delay (doubling: 1, 2, 4, 8, 16 s). */
export interface RetryPolicy {
  max: number;
  baseDelayMs: number;
}

/** What a failed call means for its item: try again after a delay, or fail with this error. */
export type NextStep = { retry: true; delayMs: number } | { retry: false; error: ErrorShape };

/** A provider's failure as the item's error; anything not classified is temporary. */
function shapeOf(error: unknown): ErrorShape & { retryAfterSeconds?: number } {
  if (isProviderError(error))
    return {
      code: error.code,
      category: error.category,
      message: error.message,
      retryable: error.category === 'temporary' || error.category === 'rate_limited',
      ...(error.details === undefined ? {} : { details: error.details }),
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    };
  const { category, message } = PROVIDER_ERRORS.ERR_GEN_UNKNOWN;
  return {
    code: 'ERR_GEN_UNKNOWN',
    category,
    message: `${message} (${redact((error as Error)?.message ?? String(error)).slice(0, 500)})`,
    retryable: true,
  };
}

/**
 * After `retriesSoFar` retries, a call failed with `error`: a permanent failure fails the item at
 * once; a temporary or rate-limited one is tried again after the delay the provider advertised
 * (429 Retry-After) or else `baseDelayMs` doubling, until `max` retries, and then fails the item as
 * `ERR_GEN_RETRIES_EXHAUSTED`.
 */
export function nextStep(policy: RetryPolicy, retriesSoFar: number, error: unknown): NextStep {
  const { retryAfterSeconds, ...shape } = shapeOf(error);
  if (!shape.retryable) return { retry: false, error: shape };
  if (retriesSoFar >= policy.max)
    return {
      retry: false,
      error: {
        ...shape,
        code: 'ERR_GEN_RETRIES_EXHAUSTED',
        category: 'permanent',
        message: `${PROVIDER_ERRORS.ERR_GEN_RETRIES_EXHAUSTED.message}: ${shape.message}`,
        retryable: false,
      },
    };
  const delayMs =
    retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : policy.baseDelayMs * 2 ** retriesSoFar;
  return { retry: true, delayMs };
}
