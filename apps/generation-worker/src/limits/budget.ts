import type { Generated } from '../providers/provider.js';

/** The limits a route's calls keep to, over every worker: requests and (optionally) tokens per minute. */
export interface Limit {
  requestsPerMinute: number;
  tokensPerMinute?: number;
}

/**
 * A route's shared budget as the times from which the next call is allowed by each limit (ms since
 * the epoch): the generic cell rate algorithm. A call moves the request time on by one interval
 * (60 s / requestsPerMinute) and the token time by its tokens' interval, so calls are spread evenly
 * and no 60-second window holds more than the limit (for tokens: the limit plus one call's worth).
 */
export interface Budget {
  requestsAt: number;
  tokensAt: number;
}

export const EMPTY_BUDGET: Budget = { requestsAt: 0, tokensAt: 0 };

const MINUTE_MS = 60_000;

const requestInterval = (limit: Limit) => MINUTE_MS / limit.requestsPerMinute;
const tokenInterval = (limit: Limit) => (limit.tokensPerMinute ? MINUTE_MS / limit.tokensPerMinute : 0);

/** The time a call of `tokens` may start at, and the budget once it is reserved. */
export function reserve(
  budget: Budget,
  now: number,
  limit: Limit,
  tokens: number,
): { startAt: number; budget: Budget } {
  const startAt = Math.max(now, budget.requestsAt, budget.tokensAt);
  return {
    startAt,
    budget: {
      requestsAt: startAt + requestInterval(limit),
      tokensAt: startAt + tokens * tokenInterval(limit),
    },
  };
}

/** The budget once a call's estimate of `estimated` tokens is replaced by what the provider counted. */
export function correct(budget: Budget, limit: Limit, estimated: number, counted: number): Budget {
  return { ...budget, tokensAt: budget.tokensAt + (counted - estimated) * tokenInterval(limit) };
}

/**
 * The budget once the provider said what is left of its own limits: when `remaining` calls (or
 * tokens) spread at our pace would not wait for its reset, the next ones start late enough that
 * they do. Nothing left at all waits for the reset.
 */
export function follow(budget: Budget, now: number, limit: Limit, left: Generated['limitsLeft']): Budget {
  const after = (at: number, remaining: number, resetSeconds: number, interval: number) =>
    remaining === 0 || interval > 0 ? Math.max(at, now + resetSeconds * 1000 - remaining * interval) : at;
  let { requestsAt, tokensAt } = budget;
  if (left?.requests)
    requestsAt = after(
      requestsAt,
      left.requests.remaining,
      left.requests.resetSeconds,
      requestInterval(limit),
    );
  if (left?.tokens)
    tokensAt = after(tokensAt, left.tokens.remaining, left.tokens.resetSeconds, tokenInterval(limit));
  return { requestsAt, tokensAt };
}

/** The budget once the provider answered 429 with "come back in `seconds`": no worker calls before. */
export function backOff(budget: Budget, now: number, seconds: number): Budget {
  return { ...budget, requestsAt: Math.max(budget.requestsAt, now + seconds * 1000) };
}
