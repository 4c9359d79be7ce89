import { describe, expect, it } from '@jest/globals';
import { nextRestart, type RestartPolicy } from './restart-policy.js';

const policy: RestartPolicy = { baseDelayMs: 1_000, maxDelayMs: 30_000, resetAfterMs: 60_000 };

/** The delays of successive crashes, each after `uptimeMs` of running. */
const delaysOf = (crashes: number, uptimeMs: number) => {
  const delays: number[] = [];
  let restarts = 0;
  for (let crash = 0; crash < crashes; crash++) {
    const decision = nextRestart(policy, restarts, uptimeMs);
    delays.push(decision.delayMs);
    restarts = decision.restarts;
  }
  return delays;
};

describe('restart policy', () => {
  describe('when a process keeps dying soon after it starts', () => {
    it('doubles the delay from 1 s up to the 30 s cap', () =>
      expect(delaysOf(8, 500)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]));

    it('counts the restarts in a row', () => {
      expect(nextRestart(policy, 0, 500).restarts).toBe(1);
      expect(nextRestart(policy, 3, 500).restarts).toBe(4);
    });

    it('stays at the cap however many restarts there were', () =>
      expect(nextRestart(policy, 5_000, 0).delayMs).toBe(30_000));
  });

  describe('when a process stayed up long enough', () => {
    it('starts again from the base delay', () =>
      expect(nextRestart(policy, 6, 60_000)).toEqual({ delayMs: 1_000, restarts: 1 }));

    it('keeps backing off when it ran just under the reset time', () =>
      expect(nextRestart(policy, 3, 59_999)).toEqual({ delayMs: 8_000, restarts: 4 }));

    it('restarts every such crash after the base delay', () =>
      expect(delaysOf(3, 120_000)).toEqual([1_000, 1_000, 1_000]));
  });

  it('follows its settings', () =>
    expect(
      [0, 1, 2, 3].map(
        (restarts) =>
          nextRestart({ baseDelayMs: 200, maxDelayMs: 1_000, resetAfterMs: 5_000 }, restarts, 100).delayMs,
      ),
    ).toEqual([200, 400, 800, 1_000]));
});
