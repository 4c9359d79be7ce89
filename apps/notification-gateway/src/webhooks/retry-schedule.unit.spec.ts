import { describe, expect, it } from '@jest/globals';
import { afterFailure } from './retry-schedule.js';

const policy = { delaysMs: [5_000, 30_000, 120_000], maxAgeMs: 86_400_000 };

describe('after a failed attempt', () => {
  it('waits the delay of its retry, the last one repeating', () => {
    expect(afterFailure(1, 0, 0, policy)).toEqual({ retryInMs: 5_000 });
    expect(afterFailure(2, 0, 5_000, policy)).toEqual({ retryInMs: 30_000 });
    expect(afterFailure(3, 0, 35_000, policy)).toEqual({ retryInMs: 120_000 });
    expect(afterFailure(9, 0, 1_000_000, policy)).toEqual({ retryInMs: 120_000 });
  });

  it('gives up when the next attempt would fall past the maximum age of the delivery', () => {
    const first = 1_000;
    expect(afterFailure(20, first, first + 86_400_000 - 120_000, policy)).toEqual({ retryInMs: 120_000 });
    expect(afterFailure(20, first, first + 86_400_000 - 119_999, policy)).toEqual({ giveUp: true });
  });
});
