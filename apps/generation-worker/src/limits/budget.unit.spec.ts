import { describe, expect, it } from '@jest/globals';
import { backOff, correct, EMPTY_BUDGET, follow, reserve, type Budget, type Limit } from './budget.js';

/** Start times of `count` calls of `tokens` each, all asked for at `now` (each waits its turn). */
function starts(limit: Limit, count: number, tokens = 0, now = 1_000_000): number[] {
  let budget: Budget = EMPTY_BUDGET;
  return Array.from({ length: count }, () => {
    const reservation = reserve(budget, now, limit, tokens);
    budget = reservation.budget;
    return reservation.startAt;
  });
}

/** The most calls that start within any 60-second window. */
const busiestMinute = (times: number[]) =>
  Math.max(...times.map((from) => times.filter((at) => at >= from && at < from + 60_000).length));

describe('the shared rate-limit budget', () => {
  it('spreads calls evenly, so no 60-second window holds more than requestsPerMinute', () => {
    const times = starts({ requestsPerMinute: 50 }, 200);
    expect(times[0]).toBe(1_000_000);
    expect(times[1]! - times[0]!).toBe(1200);
    expect(busiestMinute(times)).toBe(50);
  });

  it('spaces calls by their tokens under tokensPerMinute, whichever limit is tighter', () => {
    const times = starts({ requestsPerMinute: 1000, tokensPerMinute: 10_000 }, 30, 1000);
    expect(times[1]! - times[0]!).toBe(6000);
    expect(busiestMinute(times) * 1000).toBeLessThanOrEqual(10_000);
  });

  it('gives back what a call did not use once the provider counted its tokens', () => {
    const limit = { requestsPerMinute: 1000, tokensPerMinute: 10_000 };
    const { budget } = reserve(EMPTY_BUDGET, 0, limit, 1000);
    expect(budget.tokensAt).toBe(6000);
    expect(correct(budget, limit, 1000, 250).tokensAt).toBe(1500);
    expect(correct(budget, limit, 1000, 2000).tokensAt).toBe(12_000);
  });

  it("follows the provider's headers when they say less is left than our pace would use", () => {
    const limit = { requestsPerMinute: 50 };
    const now = 100_000;
    // 5 calls left before a reset in 10 s: at 1.2 s apart they must start no earlier than 4 s from now.
    expect(
      follow(EMPTY_BUDGET, now, limit, { requests: { remaining: 5, resetSeconds: 10 } }).requestsAt,
    ).toBe(now + 4000);
    // Plenty left: our own pace holds.
    expect(follow(EMPTY_BUDGET, now, limit, { requests: { remaining: 100, resetSeconds: 10 } })).toEqual(
      EMPTY_BUDGET,
    );
    // No tokens left (and no tokensPerMinute of ours): nothing before the reset.
    expect(follow(EMPTY_BUDGET, now, limit, { tokens: { remaining: 0, resetSeconds: 7 } }).tokensAt).toBe(
      now + 7000,
    );
  });

  it('holds every call back until a 429 says the provider takes them again', () => {
    const limit = { requestsPerMinute: 50 };
    const budget = backOff(EMPTY_BUDGET, 0, 30);
    expect(reserve(budget, 1000, limit, 0).startAt).toBe(30_000);
  });
});
