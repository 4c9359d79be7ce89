import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { BatchEvent } from '@batch/contracts';
import { replyTo, startFakeLlm, uniqueNamespace, type FakeLlm } from '@batch/testing';
import type { BatchView } from '../commands/batch-view.js';
import { completedIds, ended, factsOf, itemsOf, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(120_000);

const KEY = 'sk-proj-fake0123456789abcdefghijklmnop';
/** Every fake call reads 10 tokens and writes 5 (libs/testing's `completion`). */
const PROMPT_TOKENS = 10;
const COMPLETION_TOKENS = 5;
/** The operator's price of the fake model: 10 x $1,000 + 5 x $2,000 per million tokens = $0.02 a call. */
const PRICES = { models: { 'fake-1': { inputUsdPerMillion: 1_000, outputUsdPerMillion: 2_000 } } };
const CALL_USD = (PROMPT_TOKENS * 1_000 + COMPLETION_TOKENS * 2_000) / 1e6;

let engine: Engine;
let llm: FakeLlm | undefined;
let pricesFile: string;
beforeAll(async () => {
  engine = await startEngine();
  pricesFile = join(tmpdir(), `${uniqueNamespace('prices')}.json`);
  writeFileSync(pricesFile, JSON.stringify(PRICES));
});
afterEach(async () => {
  await engine.stopAll();
  await llm?.close();
});
afterAll(() => engine.close());

const pauseOf = (events: BatchEvent[], batchId: string) =>
  events.find((event) => event.batchId === batchId && event.type === 'BatchPaused') as
    Extract<BatchEvent, { type: 'BatchPaused' }> | undefined;

describe('a budget cap (config.maxCostUsd)', () => {
  it('refuses a budget for a model without a price, naming it; the template provider needs none', async () => {
    await engine.orchestrator({ MODEL_PRICES_FILE: pricesFile });
    await expect(
      engine.command('create', {
        userId: 'user-1',
        items: itemsOf(1),
        config: { provider: 'openai', model: 'unpriced-1', maxCostUsd: 1 },
      }),
    ).rejects.toMatchObject({ code: 'validation', message: expect.stringContaining('unpriced-1') });
    const template = await engine.command<BatchView>('create', {
      userId: 'user-1',
      items: itemsOf(1),
      config: { provider: 'template', maxCostUsd: 1 },
      autoStart: false,
    });
    expect(template.config.maxCostUsd).toBe(1);
  });

  it('pauses a batch at its budget with the calls in flight kept, refuses a resume at it, and finishes on a higher one', async () => {
    // Slow calls, so that the budget is reached while most items still wait.
    llm = await startFakeLlm((request) => ({
      status: 200,
      body: replyTo(request, `reply to ${request.prompt}`),
      delayMs: 300,
    }));
    const prices = { MODEL_PRICES_FILE: pricesFile };
    // Ten items per work message (the default): each outcome is still reported as its call ends.
    await engine.orchestrator(prices);
    const worker = await engine.worker({ ...prices, OPENAI_API_KEY: KEY, WORKER_CONCURRENCY: '2' });
    const total = 20;
    const maxCostUsd = 3.5 * CALL_USD;
    const batch = await engine.command<BatchView>('create', {
      userId: 'user-1',
      items: itemsOf(total),
      config: {
        provider: 'openai',
        baseUrl: llm.baseUrl,
        model: 'fake-1',
        maxCostUsd,
        // Two calls at a time, not spaced out by the default 50 requests a minute.
        rateLimit: { requestsPerMinute: 6_000, concurrency: 2 },
      },
    });
    const batchId = batch.batch_id;

    await engine.watcher.until((events) => pauseOf(events, batchId) !== undefined);
    // The calls that were running finish and are stored, but nothing new starts.
    await engine.watcher.until((events) => completedIds(events, batchId).size === llm!.requests.length);
    const reason = pauseOf(engine.watcher.events, batchId)!.data.reason;
    expect(reason).toMatch(/^budget_exhausted: spent \$0\.\d+ of \$0\.07$/);
    const atPause = await engine.query<BatchView>('get', { userId: 'user-1', batchId });
    const done = llm.requests.length;
    expect(atPause).toMatchObject({
      status: 'paused',
      pause_reason: reason,
      processed_count: done,
      prompt_tokens: done * PROMPT_TOKENS,
      completion_tokens: done * COMPLETION_TOKENS,
    });
    expect(atPause.cost_usd).toBeCloseTo(done * CALL_USD, 9);
    expect(atPause.cost_usd).toBeGreaterThanOrEqual(maxCostUsd);
    // Partway: 4 calls reach the budget; the calls in flight come on top (2 at a time, 300 ms each,
    // for as long as the pause takes to reach the worker).
    expect(done).toBeGreaterThanOrEqual(4);
    expect(done).toBeLessThanOrEqual(8);

    // Resuming at the budget would pause again at once: refused, saying why.
    for (const configOverrides of [undefined, { maxCostUsd }])
      await expect(
        engine.command('resume', {
          userId: 'user-1',
          batchId,
          ...(configOverrides ? { configOverrides } : {}),
        }),
      ).rejects.toMatchObject({
        code: 'validation',
        message: expect.stringMatching(
          /^validation: budget_exhausted: spent \$0\.\d+ of \$0\.07; resume with a higher/,
        ),
      });
    expect(llm.requests).toHaveLength(done);

    await engine.command('resume', { userId: 'user-1', batchId, configOverrides: { maxCostUsd: 1 } });
    await engine.watcher.until(ended(batchId));

    // Exactly the items not done were called: one call and one conversation per item.
    expect(llm.requests).toHaveLength(total);
    expect(new Set(llm.requests.map((request) => request.prompt)).size).toBe(total);
    const conversations = await engine.sql<{ item_id: string; count: number }>(
      `SELECT item_id, count(*)::int AS count FROM $schema.conversations WHERE batch_id = $1 GROUP BY item_id`,
      [batchId],
    );
    expect(conversations).toHaveLength(total);
    expect(conversations.every((row) => row.count === 1)).toBe(true);

    // The view's totals are the calls the server answered times what each counted.
    const view = await engine.query<BatchView>('get', { userId: 'user-1', batchId });
    expect(view).toMatchObject({
      status: 'completed',
      processed_count: total,
      prompt_tokens: total * PROMPT_TOKENS,
      completion_tokens: total * COMPLETION_TOKENS,
      config: { maxCostUsd: 1 },
    });
    expect(view.cost_usd).toBeCloseTo(total * CALL_USD, 9);
    // Each completion carries its call's cost, from the operator's price of the model.
    const completions = engine.watcher.events.filter(
      (event) => event.batchId === batchId && event.type === 'ItemCompleted',
    ) as Extract<BatchEvent, { type: 'ItemCompleted' }>[];
    for (const { data } of completions) expect(data.costUsd).toBeCloseTo(CALL_USD, 12);

    // Its user heard once that the batch waits for them.
    expect(await factsOf(engine, batchId)).toEqual([
      expect.objectContaining({
        type: 'action_required',
        reason: 'budget_exhausted',
        error: expect.objectContaining({
          code: 'ERR_GEN_BUDGET_EXHAUSTED',
          category: 'action_required',
          message: reason,
        }),
      }),
    ]);

    // The worker's metrics count the same tokens and cost, by provider and model.
    const metrics = await (await fetch(`${worker.opsUrl}/metrics`)).text();
    const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(sample('provider_tokens_total\\{provider="openai",model="fake-1",kind="prompt"\\}')).toBe(
      total * PROMPT_TOKENS,
    );
    expect(sample('provider_tokens_total\\{provider="openai",model="fake-1",kind="completion"\\}')).toBe(
      total * COMPLETION_TOKENS,
    );
    expect(sample('provider_cost_usd_total\\{provider="openai",model="fake-1"\\}')).toBeCloseTo(
      total * CALL_USD,
      9,
    );
  });
});
