import { describe, expect, it } from '@jest/globals';
import { limiter } from './limiter.js';

describe('limiter', () => {
  it('never runs more than its size at once, even when tasks finish and start in the same tick', async () => {
    const run = limiter(3);
    let active = 0;
    let peak = 0;
    const task = async () => {
      active++;
      peak = Math.max(peak, active);
      await Promise.resolve();
      active--;
    };
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        index % 2 ? run(task) : Promise.resolve().then(() => run(task)),
      ),
    );
    expect(peak).toBe(3);
  });

  it('runs waiting tasks in order', async () => {
    const run = limiter(1);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((value) => run(async () => void order.push(value))));
    expect(order).toEqual([1, 2, 3, 4]);
  });
});
