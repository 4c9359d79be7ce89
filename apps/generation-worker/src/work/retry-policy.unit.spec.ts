import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '../providers/provider.js';
import { nextStep } from './retry-policy.js';

const policy = { max: 5, baseDelayMs: 1000 };

describe('the retry policy', () => {
  it('waits 1, 2, 4, 8, 16 s for a temporary failure, then fails the item as ERR_GEN_RETRIES_EXHAUSTED', () => {
    const failure = new ProviderError('upstream_timeout', 'temporary', 'timed out');
    const delays = [0, 1, 2, 3, 4].map((retries) => nextStep(policy, retries, failure));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000].map((delayMs) => ({ retry: true, delayMs })));
    expect(nextStep(policy, 5, failure)).toEqual({
      retry: false,
      error: {
        code: 'ERR_GEN_RETRIES_EXHAUSTED',
        category: 'permanent',
        message: 'the item kept failing and its retries are used up: timed out',
        retryable: false,
      },
    });
  });

  it("waits what a rate limit's Retry-After says, whatever the retry", () => {
    const limited = new ProviderError('rate_limited', 'rate_limited', 'slow down', 7);
    expect(nextStep(policy, 0, limited)).toEqual({ retry: true, delayMs: 7000 });
    expect(nextStep(policy, 4, limited)).toEqual({ retry: true, delayMs: 7000 });
  });

  it('fails the item at once on a permanent failure', () => {
    expect(nextStep(policy, 0, new ProviderError('bad_request', 'permanent', 'no'))).toEqual({
      retry: false,
      error: { code: 'bad_request', category: 'permanent', message: 'no', retryable: false },
    });
  });

  it('takes anything unclassified as temporary, its text without secrets', () => {
    expect(nextStep(policy, 1, new TypeError('socket hang up'))).toEqual({ retry: true, delayMs: 2000 });
    expect(
      nextStep({ max: 0, baseDelayMs: 1 }, 0, new Error('connect to postgres://app:hunter2@db failed')),
    ).toMatchObject({
      retry: false,
      error: {
        code: 'ERR_GEN_RETRIES_EXHAUSTED',
        message:
          'the item kept failing and its retries are used up: generating the conversation failed unexpectedly (connect to postgres://app:[REDACTED]@db failed)',
      },
    });
  });
});
