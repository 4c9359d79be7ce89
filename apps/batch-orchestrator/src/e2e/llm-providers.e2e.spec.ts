import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { BatchEvent } from '@batch/contracts';
import { completion, replyTo, startFakeLlm, type FakeLlm } from '@batch/testing';
import type { BatchView } from '../commands/batch-view.js';
import { completedIds, ended, factsOf, itemsOf, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(120_000);

const KEY = 'sk-proj-fake0123456789abcdefghijklmnop';

/**
 * The operator lifts the default 50 calls a minute for the 1,000-item test, and for the test that
 * needs both its calls under way at once; the others run at the default pace, as `npm start` does.
 */
const UNHURRIED = {
  PROVIDER_RATE_LIMITS: JSON.stringify({
    OPENAI_API_KEY: { requestsPerMinute: 1_000_000 },
    OPENAI_API_KEY_TEAM_B: { requestsPerMinute: 1_000_000 },
    ANTHROPIC_API_KEY: { requestsPerMinute: 1_000_000 },
  }),
};

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

const failuresOf = (events: BatchEvent[], batchId: string) =>
  new Map(
    events
      .filter((event) => event.batchId === batchId && event.type === 'ItemFailed')
      .map((event) => {
        const { itemId, error } = (event as Extract<BatchEvent, { type: 'ItemFailed' }>).data;
        return [itemId, error] as const;
      }),
  );

describe('the LLM providers, against a scripted OpenAI- and Anthropic-compatible server', () => {
  it('stores the reply with the prompt it answered, and the key goes to the provider only', async () => {
    llm = await startFakeLlm();
    await engine.orchestrator();
    const worker = await engine.worker({ OPENAI_API_KEY: KEY, LOG_LEVEL: 'debug' });
    const batch = await engine.command<BatchView>('create', {
      userId: 'user-1',
      items: [0, 1, 2].map((index) => ({ id: `item-${index}`, topic: `topic number ${index}` })),
      config: {
        provider: 'openai',
        baseUrl: llm.baseUrl,
        model: 'fake-1',
        systemPrompt: 'Be brief.',
        temperature: 0.2,
        maxTokens: 50,
      },
    });
    await engine.watcher.until(ended(batch.batch_id));

    expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(3);
    // Each item records the call that answered it: the provider's token counts, its model, its latency.
    const completions = engine.watcher.events.filter(
      (event) => event.batchId === batch.batch_id && event.type === 'ItemCompleted',
    ) as Extract<BatchEvent, { type: 'ItemCompleted' }>[];
    for (const { data } of completions) {
      expect(data).toMatchObject({ model: 'fake-1', usage: { promptTokens: 10, completionTokens: 5 } });
      expect(data.latencyMs).toBeGreaterThanOrEqual(0);
    }
    const turns = await engine.sql<{ role: string; content: string }>(
      `SELECT t.role, t.content FROM $schema.conversation_turns t JOIN $schema.conversations c ON c.id = t.conversation_id
       WHERE c.batch_id = $1 AND c.item_id = 'item-1' ORDER BY t.sequence`,
      [batch.batch_id],
    );
    expect(turns).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'topic number 1' },
      { role: 'assistant', content: 'reply to topic number 1' },
    ]);
    expect(llm.requests).toHaveLength(3);
    for (const request of llm.requests) {
      expect(request.path).toBe('/v1/chat/completions');
      expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(request.body).toMatchObject({ model: 'fake-1', temperature: 0.2, max_tokens: 50 });
      // The batch's system prompt, then the shape the reply must have.
      expect(request.body.messages![0]!.content).toMatch(/^Be brief\.\n\n.*\{"persona"/s);
    }
    // Nowhere else: not in the log of the worker that used it, the events, or the read model.
    const view = await engine.query<BatchView>('get', { userId: 'user-1', batchId: batch.batch_id });
    for (const text of [worker.lines.join('\n'), JSON.stringify(engine.watcher.events), JSON.stringify(view)])
      expect(text).not.toContain(KEY);
  });

  it('asks the Anthropic Messages API for an anthropic batch, with its key; an empty balance pauses the batch', async () => {
    llm = await startFakeLlm((request) =>
      request.prompt === 'no credit'
        ? {
            // Late enough that the other item's call has left: a call in flight at a pause is kept.
            delayMs: 300,
            status: 400,
            body: {
              type: 'error',
              error: { type: 'invalid_request_error', message: 'Your credit balance is too low' },
            },
          }
        : { status: 200, body: replyTo(request, `reply to ${request.prompt}`) },
    );
    await engine.orchestrator();
    const worker = await engine.worker({ ...UNHURRIED, ANTHROPIC_API_KEY: KEY });
    const batch = await engine.command<BatchView>('create', {
      userId: 'user-1',
      items: [
        { id: 'hello', topic: 'hello' },
        { id: 'broke', topic: 'no credit' },
      ],
      config: {
        provider: 'anthropic',
        baseUrl: llm.anthropicUrl,
        model: 'fake-1',
        systemPrompt: 'Be brief.',
      },
    });
    // The empty balance is the batch's problem, not the item's: the batch pauses, nothing fails.
    await engine.watcher.until((events) =>
      events.some((event) => event.batchId === batch.batch_id && event.type === 'BatchPaused'),
    );
    const paused = engine.watcher.events.find(
      (event) => event.batchId === batch.batch_id && event.type === 'BatchPaused',
    ) as Extract<BatchEvent, { type: 'BatchPaused' }>;
    expect(paused.data.reason).toMatch(/^quota_exhausted: /);
    expect(failuresOf(engine.watcher.events, batch.batch_id).size).toBe(0);
    const [request] = llm.requests.filter((one) => one.prompt === 'hello');
    expect(request!.path).toBe('/v1/messages');
    // This SDK release sends the key as a bearer token (older ones as x-api-key), with its API version.
    expect(request!.headers['x-api-key'] ?? request!.headers.authorization).toMatch(
      new RegExp(`^(Bearer )?${KEY}$`),
    );
    expect(request!.headers['anthropic-version']).toBeDefined();
    expect(request!.body).toMatchObject({ model: 'fake-1', max_tokens: 1024 });
    expect(request!.body.system).toMatch(/^Be brief\.\n\n.*\{"persona"/s);
    // The reply that arrived was kept: cancelling releases the held item, and the message reports it.
    await engine.command('cancel', { userId: 'user-1', batchId: batch.batch_id });
    await engine.watcher.until((events) => completedIds(events, batch.batch_id).has('hello'));
    const stored = async () =>
      (
        await engine.sql<{ content: string }>(
          `SELECT t.content FROM $schema.conversation_turns t JOIN $schema.conversations c ON c.id = t.conversation_id
           WHERE c.batch_id = $1 ORDER BY t.sequence`,
          [batch.batch_id],
        )
      ).map((turn) => turn.content);
    expect(await stored()).toEqual(['Be brief.', 'hello', 'reply to hello']);
    expect(worker.lines.join('\n')).not.toContain(KEY);
  });

  it('pauses a 1,000-item batch at a refused key after a few calls, fails none, and finishes it on resume with an allowed credential', async () => {
    const GOOD = 'sk-proj-good0123456789abcdefghijklmnop';
    llm = await startFakeLlm((request) =>
      request.headers.authorization === `Bearer ${GOOD}`
        ? { status: 200, body: replyTo(request, `reply to ${request.prompt}`) }
        : {
            status: 401,
            body: { error: { message: `Incorrect API key provided: ${KEY}`, code: 'invalid_api_key' } },
          },
    );
    const credentials = { PROVIDER_CREDENTIALS: 'OPENAI_API_KEY_TEAM_B' };
    await engine.orchestrator(credentials);
    const worker = await engine.worker({
      ...UNHURRIED,
      ...credentials,
      OPENAI_API_KEY: KEY,
      OPENAI_API_KEY_TEAM_B: GOOD,
    });
    const config = { provider: 'openai', baseUrl: llm.baseUrl, model: 'fake-1' };
    await expect(
      engine.command('create', {
        userId: 'user-1',
        items: itemsOf(1),
        config: { ...config, credential: 'OPENAI_API_KEY_OTHER' },
      }),
    ).rejects.toMatchObject({ code: 'validation' });

    const batch = await engine.command<BatchView>('create', {
      userId: 'user-1',
      items: itemsOf(1_000),
      config,
    });
    await engine.watcher.until((events) =>
      events.some((event) => event.batchId === batch.batch_id && event.type === 'BatchPaused'),
    );
    const paused = engine.watcher.events.find(
      (event) => event.batchId === batch.batch_id && event.type === 'BatchPaused',
    ) as Extract<BatchEvent, { type: 'BatchPaused' }>;
    expect(paused.data.reason).toMatch(/^provider_auth_failed: the provider refused the API key/);
    expect(paused.data.reason).not.toContain(KEY);
    // The user hears once that the batch waits for them, however many calls were refused.
    expect(await factsOf(engine, batch.batch_id)).toEqual([
      expect.objectContaining({
        type: 'action_required',
        reason: 'provider_auth_failed',
        error: expect.objectContaining({ code: 'ERR_API_AUTH', category: 'action_required' }),
      }),
    ]);

    await engine.command('resume', {
      userId: 'user-1',
      batchId: batch.batch_id,
      configOverrides: { credential: 'OPENAI_API_KEY_TEAM_B' },
    });
    await engine.watcher.until(ended(batch.batch_id));

    expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(1_000);
    expect(failuresOf(engine.watcher.events, batch.batch_id).size).toBe(0);
    const refused = llm.requests.filter((request) => request.headers.authorization !== `Bearer ${GOOD}`);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThan(10);
    expect(llm.requests.length - refused.length).toBe(1_000);
    for (const text of [worker.lines.join('\n'), JSON.stringify(engine.watcher.events)]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(GOOD);
    }
  });

  it('retries what may pass (429 after its Retry-After, 5xx with backoff) and fails at once what cannot', async () => {
    llm = await startFakeLlm((request, attempt) => {
      switch (request.prompt) {
        case 'rate-limited':
          return attempt === 1
            ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } }
            : { status: 200, body: replyTo(request, 'finally') };
        case 'flaky':
          return attempt <= 2
            ? { status: 500, body: { error: { message: 'oops' } } }
            : { status: 200, body: replyTo(request, 'recovered') };
        case 'invalid':
          return { status: 400, body: { error: { message: `bad request for key ${KEY}` } } };
        case 'malformed':
          return { raw: '{"choices": [' };
        case 'prose':
          return { status: 200, body: completion(`Sure! A chat about prose, sent with ${KEY}.`) };
        case 'cut-off':
          return {
            status: 200,
            body: completion('{"persona": "a reader", "turns": [{"role": "us', 'length'),
          };
        default:
          return { status: 200, body: completion('empty') };
      }
    });
    await engine.orchestrator();
    // The worker's default retry policy (1, 2, 4 ... s, 5 retries), as `npm start` runs it.
    await engine.worker({ OPENAI_API_KEY: KEY });
    const prompts = ['rate-limited', 'flaky', 'invalid', 'malformed', 'prose', 'cut-off'];
    const batch = await engine.command<BatchView>('create', {
      userId: 'user-1',
      items: prompts.map((prompt) => ({ id: prompt, topic: prompt })),
      config: { provider: 'openai', baseUrl: llm.baseUrl, model: 'fake-1' },
    });
    await engine.watcher.until(ended(batch.batch_id));

    expect([...completedIds(engine.watcher.events, batch.batch_id)].sort()).toEqual([
      'flaky',
      'rate-limited',
    ]);
    expect(llm.callsFor('rate-limited')).toBe(2);
    const [first, second] = llm.requests.filter((request) => request.prompt === 'rate-limited');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(llm.callsFor('flaky')).toBe(3);
    const failures = failuresOf(engine.watcher.events, batch.batch_id);
    expect(
      Object.fromEntries([...failures].map(([itemId, error]) => [itemId, [error.code, error.category]])),
    ).toEqual({
      invalid: ['ERR_API_BAD_REQUEST', 'permanent'],
      malformed: ['ERR_GEN_PARSE', 'permanent'],
      prose: ['ERR_GEN_REPLY_FORMAT', 'permanent'],
      'cut-off': ['ERR_GEN_TRUNCATED', 'permanent'],
    });
    for (const prompt of ['invalid', 'malformed', 'prose', 'cut-off']) expect(llm.callsFor(prompt)).toBe(1);
    // A reply that is not the conversation asked for is kept for the error details, without secrets.
    expect(failures.get('prose')!.details!.reply).toBe('Sure! A chat about prose, sent with [REDACTED].');
    // The provider's own text (which quoted the key here) is never the item's message.
    expect(JSON.stringify([...failures.values()])).not.toContain(KEY);
  });
});
