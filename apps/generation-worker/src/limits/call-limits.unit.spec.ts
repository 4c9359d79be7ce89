import { describe, expect, it } from '@jest/globals';
import { BatchConfig } from '@batch/contracts';
import { batchConcurrency } from './batch-concurrency.js';
import { DEFAULT_REQUESTS_PER_MINUTE, estimateTokens, limitFor } from './call-limits.js';

const config = (value: object) => BatchConfig.parse({ provider: 'openai', ...value });

describe("a batch's call limits", () => {
  it("takes the lower of the batch's and the operator's limits, 50 requests a minute when neither says", () => {
    expect(limitFor(config({}), undefined)).toEqual({ requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE });
    expect(limitFor(config({}), { requestsPerMinute: 500, tokensPerMinute: 90_000 })).toEqual({
      requestsPerMinute: 500,
      tokensPerMinute: 90_000,
    });
    expect(limitFor(config({ rateLimit: { requestsPerMinute: 20 } }), { requestsPerMinute: 500 })).toEqual({
      requestsPerMinute: 20,
    });
    expect(
      limitFor(config({ rateLimit: { requestsPerMinute: 900, tokensPerMinute: 1000 } }), {
        requestsPerMinute: 500,
      }),
    ).toEqual({
      requestsPerMinute: 500,
      tokensPerMinute: 1000,
    });
  });

  it("estimates a call's tokens from its text and its whole reply budget", () => {
    const short = estimateTokens({ id: 'a', topic: 'x' }, config({ maxTokens: 100 }));
    const long = estimateTokens({ id: 'a', topic: 'x'.repeat(4000) }, config({ maxTokens: 100 }));
    expect(long - short).toBe(1000);
    expect(estimateTokens({ id: 'a', topic: 'x' }, config({ maxTokens: 600 })) - short).toBe(500);
  });

  it("runs at most `concurrency` of a batch's tasks at once, the others in order of arrival", async () => {
    const run = batchConcurrency();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const release: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, (_, index) =>
      run('batch-1', 2, async () => {
        running++;
        most = Math.max(most, running);
        order.push(index);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
      }),
    );
    while (order.length < 6) {
      await new Promise((resolve) => setImmediate(resolve));
      release.shift()?.();
    }
    release.forEach((done) => done());
    await Promise.all(tasks);
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
