import { describe, expect, it } from '@jest/globals';
import { backoffDelay, DEFAULT_BACKOFF } from './reconnect-backoff.js';

const schedule = (random: () => number, attempts = 10) =>
  Array.from({ length: attempts }, (_, attempt) => backoffDelay(attempt, DEFAULT_BACKOFF, random));

describe('the reconnect backoff', () => {
  it('doubles from 250 ms up to 30 s at the top of the jitter', () => {
    expect(schedule(() => 0)).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('takes at most half of each wait off at random, so clients cut off together spread out', () => {
    expect(schedule(() => 0.999_999, 9)).toEqual([125, 250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    for (const random of [0.1, 0.37, 0.5, 0.93])
      for (const [attempt, delay] of schedule(() => random).entries()) {
        const ceiling = Math.min(30_000, 250 * 2 ** attempt);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
  });

  it('stays at the cap however many attempts failed', () => {
    expect(backoffDelay(5_000, DEFAULT_BACKOFF, () => 0)).toBe(30_000);
  });

  it('follows other settings', () => {
    const options = { ...DEFAULT_BACKOFF, initialMs: 100, factor: 3, maxMs: 1_000, jitter: 0 };
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, options, () => 0.7))).toEqual([
      100, 300, 900, 1_000,
    ]);
  });
});
