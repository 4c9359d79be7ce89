import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { completion, conversationJson, replyTo, startFakeLlm, type FakeLlm } from '@batch/testing';
import type { BatchView } from '../commands/batch-view.js';
import { completedIds, ended, factsOf, itemsOf, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(180_000);

const KEY = 'sk-proj-fake0123456789abcdefghijklmnop';

let engine: Engine;
let llm: FakeLlm | undefined;
beforeAll(async () => {
  engine = await startEngine();
});
afterEach(async () => {
  await engine.stopAll();
  await llm?.close();
});
afterAll(() => engine.close());

/** The most requests the server received within any `windowMs`. */
const busiest = (times: number[], windowMs: number) =>
  Math.max(...times.map((from) => times.filter((at) => at >= from && at < from + windowMs).length));

describe('rate limits shared by every worker', () => {
  it('keeps three worker processes and two batches on one key within one requests-per-minute budget, counted at the server', async () => {
    llm = await startFakeLlm();
    // An item a message, so that every worker holds some.
    await engine.orchestrator({ ITEMS_PER_WORK_MESSAGE: '1' });
    const workers = await Promise.all(
      [1, 2, 3].map(() => engine.worker({ OPENAI_API_KEY: KEY, WORKER_CONCURRENCY: '8' })),
    );
    // 600 a minute: one call every 100 ms for the key, whichever worker and batch makes it.
    const config = {
      provider: 'openai',
      baseUrl: llm.baseUrl,
      model: 'fake-1',
      rateLimit: { requestsPerMinute: 600 },
    };
    const batches = await Promise.all(
      ['user-1', 'user-2'].map((userId) =>
        engine.command<BatchView>('create', { userId, items: itemsOf(30), config }),
      ),
    );
    for (const batch of batches) await engine.watcher.until(ended(batch.batch_id));

    for (const batch of batches) expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(30);
    expect(llm.requests).toHaveLength(60);
    const times = llm.requests.map((request) => request.at);
    // A call never leaves before its turn: the 60 calls span at least 59 turns of 100 ms (the
    // first may leave a little late). Three workers each keeping 600 a minute would take 2 s.
    expect(times.at(-1)! - Math.min(...times)).toBeGreaterThanOrEqual(5600);
    // 50 in any 5 s, and a few more for calls that left their turn late (a slot, a look at the
    // queue, a connection: tens of ms on a busy machine) and arrived bunched with the next ones.
    expect(busiest(times, 5000)).toBeLessThanOrEqual(55);
    // Every worker took part: the budget was shared, not one worker's.
    const callers = new Set(
      readFileSync(engine.callLog, 'utf8')
        .split('\n')
        .filter((line) => batches.some((batch) => line.startsWith(`${batch.batch_id} `)))
        .map((line) => line.split(' ')[2]),
    );
    expect(callers.size).toBe(workers.length);
  });

  it('keeps to a tokens-per-minute budget, corrected with the tokens the provider counted', async () => {
    // Each reply counts 100 tokens; 6,000 a minute lets one call a second through.
    llm = await startFakeLlm((request) => ({
      status: 200,
      body: completion(conversationJson(request.prompt, 'ok'), 'stop', {
        prompt_tokens: 60,
        completion_tokens: 40,
      }),
    }));
    await engine.orchestrator();
    await Promise.all([1, 2].map(() => engine.worker({ OPENAI_API_KEY: KEY, WORKER_CONCURRENCY: '8' })));
    const batch = await engine.command<BatchView>('create', {
      userId: 'user-1',
      items: itemsOf(10),
      config: {
        provider: 'openai',
        baseUrl: llm.baseUrl,
        model: 'fake-1',
        maxTokens: 50,
        rateLimit: { requestsPerMinute: 60_000, tokensPerMinute: 6000 },
      },
    });
    await engine.watcher.until(ended(batch.batch_id));

    expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(10);
    const times = llm.requests.map((request) => request.at);
    // 100 tokens a second: 5 calls in any 5 seconds, and one more (its estimate was reserved ahead).
    expect(busiest(times, 5000)).toBeLessThanOrEqual(6);
    // Without the correction, every call would hold its estimate (50 reply tokens + its prompt,
    // over 100) and the calls could not keep to a second apart.
    expect(times.at(-1)! - times[0]!).toBeLessThan(9 * 1100);
  });

  it('waits for a 429 on every worker, and tells the user how long once', async () => {
    let refused = false;
    llm = await startFakeLlm((request) => {
      if (refused) return { status: 200, body: replyTo(request, 'ok') };
      refused = true;
      return { status: 429, headers: { 'retry-after': '2' }, body: { error: { message: 'slow down' } } };
    });
    await engine.orchestrator();
    await Promise.all([1, 2].map(() => engine.worker({ OPENAI_API_KEY: KEY, WORKER_CONCURRENCY: '8' })));
    const batch = await engine.command<BatchView>('create', {
      userId: 'user-1',
      items: itemsOf(20),
      config: {
        provider: 'openai',
        baseUrl: llm.baseUrl,
        model: 'fake-1',
        rateLimit: { requestsPerMinute: 600 },
      },
    });
    await engine.watcher.until(ended(batch.batch_id));

    expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(20);
    const [first, ...rest] = llm.requests.map((request) => request.at);
    // Calls reserved before the 429 arrived (up to a second ahead) still go; none after it before 2 s.
    expect(rest.filter((at) => at - first! > 1200 && at - first! < 1950)).toEqual([]);
    const facts = await factsOf(engine, batch.batch_id);
    expect(facts).toEqual([
      expect.objectContaining({
        type: 'rate_limited',
        userId: 'user-1',
        retryAfterSeconds: 2,
        error: expect.objectContaining({ code: 'ERR_API_RATE_LIMIT', category: 'rate_limited' }),
      }),
    ]);
  });
});
