import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_RATE_LIMIT_WAIT_SECONDS,
  durationSeconds,
  failureOfStatus,
  retryAfterSeconds,
} from './provider-failures.js';

describe('when a provider says to come back', () => {
  it('reads retry-after-ms, retry-after in seconds and as an HTTP date', () => {
    expect(retryAfterSeconds(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }))).toBe(1.5);
    expect(retryAfterSeconds(new Headers({ 'retry-after': '7' }))).toBe(7);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(retryAfterSeconds(new Headers({ 'retry-after': inTenSeconds }))).toBeGreaterThan(8);
    expect(retryAfterSeconds(new Headers({ 'retry-after': inTenSeconds }))).toBeLessThanOrEqual(10);
  });

  it("takes the longer of OpenAI's request and token resets when there is no retry-after", () => {
    const headers = new Headers({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' });
    expect(retryAfterSeconds(headers)).toBe(360);
    expect(retryAfterSeconds(new Headers({ 'x-ratelimit-reset-requests': '20ms' }))).toBeCloseTo(0.02);
  });

  it('reads durations and refuses what is not one', () => {
    expect(durationSeconds('1h2m3.5s')).toBe(3723.5);
    expect(durationSeconds('250ms')).toBe(0.25);
    expect(durationSeconds('soon')).toBeUndefined();
    expect(durationSeconds('5 minutes')).toBeUndefined();
  });

  it('makes a 429 that says nothing wait the default, and one that says something wait that', () => {
    expect(failureOfStatus(429, new Headers(), false).retryAfterSeconds).toBe(
      DEFAULT_RATE_LIMIT_WAIT_SECONDS,
    );
    expect(failureOfStatus(429, new Headers({ 'retry-after': '2' }), false)).toMatchObject({
      code: 'ERR_API_RATE_LIMIT',
      category: 'rate_limited',
      retryAfterSeconds: 2,
    });
  });

  it('classifies statuses: quota first, then auth, model, server, and the rest as a bad request', () => {
    const codeOf = (status: number, quota = false) => failureOfStatus(status, undefined, quota).code;
    expect(codeOf(429, true)).toBe('ERR_API_QUOTA');
    expect([401, 403].map((status) => codeOf(status))).toEqual(['ERR_API_AUTH', 'ERR_API_AUTH']);
    expect(codeOf(404)).toBe('ERR_API_MODEL_NOT_FOUND');
    expect([500, 503, 529, 408].map((status) => codeOf(status))).toEqual(Array(4).fill('ERR_API_SERVER'));
    expect([400, 422].map((status) => codeOf(status))).toEqual([
      'ERR_API_BAD_REQUEST',
      'ERR_API_BAD_REQUEST',
    ]);
  });
});
