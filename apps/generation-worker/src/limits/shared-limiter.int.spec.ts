import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kvm, type KV } from '@nats-io/kv';
import { testNats, type TestNats } from '@batch/testing';
import { sharedLimiter } from './shared-limiter.js';

let nats: TestNats;
let kv: KV;
beforeAll(async () => {
  nats = await testNats();
  kv = await new Kvm(nats.nc).create(nats.names.rateLimitBucket, { history: 1 });
});
afterAll(() => nats.close());

/** The bucket's last sequence: how many writes the budgets took so far. */
const writes = async () => (await kv.status()).streamInfo.state.last_seq;

const wanted = async () => true;

describe('the shared limiter, on a real JetStream KV bucket', () => {
  it('gives two workers distinct turns one interval apart, several turns per write', async () => {
    // Two limiters on one bucket: two worker processes sharing a route.
    const workers = [sharedLimiter(kv), sharedLimiter(kv)];
    const limit = { requestsPerMinute: 6000 };
    const before = await writes();
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, index) => {
        const permit = await workers[index % 2]!.acquire('openai https://x/v1 m KEY', limit, 0, wanted);
        expect(permit).toBeDefined();
        starts.push(Date.now());
      }),
    );
    // No call before its turn: 200 turns of 10 ms take at least 199 intervals.
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(1990 - 20);
    // Many turns are reserved together: a write serves 10 calls or more (5 or 6 in all here).
    const written = (await writes()) - before;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThanOrEqual(20);
  });

  it('lets a caller go when it is no longer wanted while its turn is far off', async () => {
    const limiter = sharedLimiter(kv);
    const limit = { requestsPerMinute: 1 };
    const route = 'openai https://x/v1 slow KEY';
    expect(await limiter.acquire(route, limit, 0, wanted)).toBeDefined();
    // The next turn is a minute away: a caller that stops being wanted is let go, not held.
    let stillWanted = true;
    const waiting = limiter.acquire(route, limit, 0, async () => stillWanted);
    stillWanted = false;
    expect(await waiting).toBeUndefined();
  });

  it('holds every worker back after a 429 until the provider takes calls again', async () => {
    const [one, other] = [sharedLimiter(kv), sharedLimiter(kv)];
    const limit = { requestsPerMinute: 60_000 };
    const route = 'openai https://x/v1 refused KEY';
    const permit = await one.acquire(route, limit, 0, wanted);
    const refusedAt = Date.now();
    await permit!.rateLimited(1.5);
    await other.acquire(route, limit, 0, wanted);
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(1450);
  });
});
