import type { Generated, LimitLeft } from './provider.js';
import { durationSeconds } from './provider-failures.js';

/** Seconds until a reset given as a duration (`6m0s`, OpenAI) or a time (RFC 3339, Anthropic). */
function secondsUntil(reset: string): number | undefined {
  const duration = durationSeconds(reset);
  if (duration !== undefined) return duration;
  const at = Date.parse(reset);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

function limitLeft(headers: Headers, remainingName: string, resetName: string): LimitLeft | undefined {
  const remaining = headers.get(remainingName);
  const reset = headers.get(resetName);
  if (remaining === null || reset === null || !/^\d+$/.test(remaining.trim())) return undefined;
  const resetSeconds = secondsUntil(reset);
  return resetSeconds === undefined ? undefined : { remaining: Number(remaining), resetSeconds };
}

/**
 * What is left of the provider's request and token limits after a call, from its headers:
 * OpenAI's `x-ratelimit-remaining-*` / `x-ratelimit-reset-*` or Anthropic's
 * `anthropic-ratelimit-*-remaining` / `-reset`.
 */
export function limitsLeft(headers: Headers): Generated['limitsLeft'] {
  const requests =
    limitLeft(headers, 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests') ??
    limitLeft(headers, 'anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-reset');
  const tokens =
    limitLeft(headers, 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens') ??
    limitLeft(headers, 'anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-tokens-reset');
  if (!requests && !tokens) return undefined;
  return { ...(requests ? { requests } : {}), ...(tokens ? { tokens } : {}) };
}
