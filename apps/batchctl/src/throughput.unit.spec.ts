import { describe, expect, it } from '@jest/globals';
import { formatDuration, throughputMeter } from './throughput.js';

describe('throughput', () => {
  it('has no pace and no ETA from a single sample', () => {
    expect(throughputMeter().sample(10, 100, 0)).toEqual({ itemsPerSecond: 0, etaSeconds: undefined });
  });

  it('measures items per second and the time the rest takes at that pace', () => {
    const meter = throughputMeter();
    meter.sample(0, 1000, 0);
    meter.sample(50, 1000, 1000);
    expect(meter.sample(100, 1000, 2000)).toEqual({ itemsPerSecond: 50, etaSeconds: 18 });
  });

  it('follows the recent pace, not the average since the start', () => {
    const meter = throughputMeter();
    for (let second = 0; second <= 20; second += 1)
      meter.sample(second < 10 ? second * 100 : 900 + (second - 9) * 10, 10_000, second * 1000);
    expect(meter.sample(1020, 10_000, 21_000).itemsPerSecond).toBe(10);
  });
});

describe('durations', () => {
  it.each([
    [undefined, '-'],
    [Infinity, '-'],
    [4.4, '4s'],
    [75, '1m15s'],
    [3 * 3600 + 5 * 60 + 9, '3h05m'],
  ])('shows %p seconds as %p', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
