import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Kvm } from '@nats-io/kv';
import { replyTo, startFakeLlm } from '@batch/testing';
import type { BatchView } from '../commands/batch-view.js';
import { completedIds, ended, itemsOf, lifecycle, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(180_000);

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterEach(() => engine.stopAll());
afterAll(() => engine.close());

const create = (items: number, config: Record<string, unknown> = {}, userId = 'user-1') =>
  engine.command<BatchView>('create', {
    userId,
    items: itemsOf(items),
    config: { provider: 'template', ...config },
  });

async function conversationsPerItem(batchId: string): Promise<Map<string, number>> {
  const rows = await engine.sql<{ item_id: string; n: string }>(
    'SELECT item_id, count(*) AS n FROM $schema.conversations WHERE batch_id = $1 GROUP BY item_id',
    [batchId],
  );
  return new Map(rows.map((row) => [row.item_id, Number(row.n)]));
}

const completedCount = (batchId: string, atLeast: number) => (events: Parameters<typeof completedIds>[0]) =>
  completedIds(events, batchId).size >= atLeast;

describe('the batch engine (orchestrator and workers as processes, real NATS and PostgreSQL)', () => {
  it('works a batch through to the end: one conversation per item, the provider called once per item, its snapshot removed', async () => {
    const orchestrator = await engine.orchestrator({ SNAPSHOT_EVERY_EVENTS: '50' });
    const workers = await Promise.all([engine.worker(), engine.worker()]);
    const batch = await create(300);
    expect(batch.status).toBe('running');
    await engine.watcher.until(ended(batch.batch_id));

    expect(lifecycle(engine.watcher.events, batch.batch_id)).toEqual([
      'BatchCreated',
      'BatchStarted',
      'BatchCompleted',
    ]);
    expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(300);
    const conversations = await conversationsPerItem(batch.batch_id);
    expect(conversations.size).toBe(300);
    expect([...conversations.values()].every((count) => count === 1)).toBe(true);
    expect(engine.providerCalls(batch.batch_id)).toHaveLength(300);
    // Snapshots were taken along the way (every 50 events) and removed once the batch ended.
    const snapshots = await new Kvm(engine.nats.nc).open(engine.nats.names.snapshotBucket);
    const keys: string[] = [];
    for await (const key of await snapshots.keys(`${batch.batch_id}.>`)) keys.push(key);
    expect(keys).toEqual([]);
    // At least one snapshot (a chunk and a head) was written before the purge markers.
    const { streamInfo } = await snapshots.status();
    expect(streamInfo.state.last_seq).toBeGreaterThanOrEqual(4);
    await Promise.all([orchestrator.stop(), ...workers.map((worker) => worker.stop())]);
  });

  it("does not read an ended batch's log again once it has forgotten it", async () => {
    await engine.orchestrator();
    await engine.worker();
    const batch = await create(200);
    // Every replay of a batch's log opens a consumer on the events stream filtered to the batch.
    const replays: string[] = [];
    const sniffer = engine.nats.nc.subscribe(`$JS.API.CONSUMER.CREATE.${engine.nats.names.eventsStream}.>`, {
      callback: (_error, message) => {
        if (message.string().includes(batch.batch_id)) replays.push(message.subject);
      },
    });
    await engine.watcher.until(ended(batch.batch_id));
    const afterEnd = replays.length;
    // Another batch worked through to its end gives a wake of the first (50 ms) ample time to replay.
    const next = await create(200);
    await engine.watcher.until(ended(next.batch_id));
    sniffer.unsubscribe();
    expect(afterEnd).toBeGreaterThan(0);
    expect(replays).toHaveLength(afterEnd);
  });

  it('loses nothing and generates nothing twice when a worker is SIGKILLed mid-batch', async () => {
    const orchestrator = await engine.orchestrator({ ITEMS_PER_WORK_MESSAGE: '1' });
    const doomed = await engine.worker();
    const batch = await create(2000, { latencyMs: 5 });
    await engine.watcher.until(completedCount(batch.batch_id, 400));
    await doomed.kill();
    const survivor = await engine.worker();
    await engine.watcher.until(ended(batch.batch_id));

    expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(2000);
    const conversations = await conversationsPerItem(batch.batch_id);
    expect(conversations.size).toBe(2000);
    expect([...conversations.values()].every((count) => count === 1)).toBe(true);
    const calls = engine.providerCalls(batch.batch_id);
    expect(new Set(calls).size).toBe(2000);
    // Only items the killed worker had called and not stored yet can be paid twice: at most what it
    // holds, 2 x WORKER_CONCURRENCY messages plus a burst of 3, of one item each here.
    expect(calls.length - 2000).toBeLessThanOrEqual(9);
    await Promise.all([orchestrator.stop(), survivor.stop()]);
  });

  it("pays again after a worker's SIGKILL only for the calls in flight at that instant, with 10 items per work message, counted at the provider", async () => {
    // A model answering in 0.5 to 2.3 s: the items of one work message are done at different times.
    const indexOf = (prompt: string) => Number(prompt.split(' ').at(-1));
    const latencyOf = (index: number) => 500 + (index % 4) * 600;
    const llm = await startFakeLlm((request) => ({
      status: 200,
      body: replyTo(request, 'ok'),
      delayMs: latencyOf(indexOf(request.prompt)),
    }));
    try {
      const orchestrator = await engine.orchestrator({ ITEMS_PER_WORK_MESSAGE: '10' });
      const workerEnv = {
        WORKER_CONCURRENCY: '12',
        OPENAI_API_KEY: 'sk-fake',
        PROVIDER_RATE_LIMITS: JSON.stringify({ OPENAI_API_KEY: { requestsPerMinute: 1_000_000 } }),
      };
      const doomed = await engine.worker(workerEnv);
      const batch = await engine.command<BatchView>('create', {
        userId: 'user-1',
        items: itemsOf(120),
        config: { provider: 'openai', baseUrl: llm.baseUrl, model: 'fake-1' },
      });
      await engine.watcher.until(completedCount(batch.batch_id, 30));
      const killedAt = Date.now();
      await doomed.kill();
      const survivor = await engine.worker(workerEnv);
      await engine.watcher.until(ended(batch.batch_id));

      const conversations = await conversationsPerItem(batch.batch_id);
      expect(conversations.size).toBe(120);
      expect([...conversations.values()].every((count) => count === 1)).toBe(true);
      // In flight at the kill: a request that reached the provider less than its latency before
      // (300 ms more to store the reply on a busy machine). Only those may be paid twice: a reply
      // that had arrived was stored, whatever the rest of its work message was doing.
      const inFlightAtKill = ({ prompt, at }: { prompt: string; at: number }) =>
        at <= killedAt && at > killedAt - latencyOf(indexOf(prompt)) - 300;
      const first = new Map<string, (typeof llm.requests)[number]>();
      const repeated: string[] = [];
      for (const request of llm.requests)
        if (first.has(request.prompt)) repeated.push(request.prompt);
        else first.set(request.prompt, request);
      expect([...first.values()].filter(inFlightAtKill).length).toBeGreaterThanOrEqual(9);
      expect(repeated.filter((prompt) => !inFlightAtKill(first.get(prompt)!))).toEqual([]);
      expect(llm.requests.length).toBe(120 + repeated.length);
      await Promise.all([orchestrator.stop(), survivor.stop()]);
    } finally {
      await llm.close();
    }
  });

  it('finishes a batch after the orchestrator is SIGKILLed and restarted, redoing nothing', async () => {
    const first = await engine.orchestrator();
    const workers = await Promise.all([engine.worker(), engine.worker()]);
    const batch = await create(2000, { latencyMs: 5 });
    await engine.watcher.until(completedCount(batch.batch_id, 400));
    await first.kill();
    const restarted = await engine.orchestrator();
    await engine.watcher.until(ended(batch.batch_id));

    expect(lifecycle(engine.watcher.events, batch.batch_id)).toEqual([
      'BatchCreated',
      'BatchStarted',
      'BatchCompleted',
    ]);
    expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(2000);
    expect(engine.providerCalls(batch.batch_id)).toHaveLength(2000);
    expect((await conversationsPerItem(batch.batch_id)).size).toBe(2000);
    await Promise.all([restarted.stop(), ...workers.map((worker) => worker.stop())]);
  });

  it('resumes after a pause and a SIGKILL of everything with new config; completed items are never dispatched again', async () => {
    const orchestrator = await engine.orchestrator();
    const worker = await engine.worker();
    const batch = await create(1000, { latencyMs: 25, systemPrompt: 'before the pause' });
    await engine.watcher.until(completedCount(batch.batch_id, 200));
    await engine.command('pause', { userId: 'user-1', batchId: batch.batch_id, reason: 'lunch' });
    await engine.watcher.until((events) => lifecycle(events, batch.batch_id).includes('BatchPaused'));
    await Promise.all([worker.kill(), orchestrator.kill()]);
    const doneBeforeResume = completedIds(engine.watcher.events, batch.batch_id);
    const callsBeforeResume = engine.providerCalls(batch.batch_id).length;

    const [restarted, newWorker] = await Promise.all([engine.orchestrator(), engine.worker()]);
    const resumedAt = new Date();
    const resumed = await engine.command<BatchView>('resume', {
      userId: 'user-1',
      batchId: batch.batch_id,
      configOverrides: { systemPrompt: 'after the resume' },
    });
    expect(resumed.status).toBe('running');
    await engine.watcher.until(ended(batch.batch_id));

    const callsAfter = engine.providerCalls(batch.batch_id).slice(callsBeforeResume);
    expect(callsAfter.filter((line) => doneBeforeResume.has(line.split(' ')[1]!))).toEqual([]);
    expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(1000);
    const prompts = await engine.sql<{ content: string; created_at: Date }>(
      `SELECT t.content, c.created_at FROM $schema.conversations c JOIN $schema.conversation_turns t ON t.conversation_id = c.id
       WHERE c.batch_id = $1 AND t.sequence = 1`,
      [batch.batch_id],
    );
    const afterResume = prompts.filter((row) => row.created_at >= resumedAt);
    expect(afterResume.length).toBeGreaterThan(0);
    expect(afterResume.every((row) => row.content === 'after the resume')).toBe(true);
    await Promise.all([restarted.stop(), newWorker.stop()]);
  });

  it('lets exactly one of two orchestrators append racing pause and resume decisions', async () => {
    const replicas = await Promise.all([
      engine.orchestrator({ ORCHESTRATOR_REPLICA_ID: 'replica-a' }),
      engine.orchestrator({ ORCHESTRATOR_REPLICA_ID: 'replica-b' }),
    ]);
    const batch = await create(50);
    const owned = { userId: 'user-1', batchId: batch.batch_id };
    const pauses = await Promise.allSettled(
      Array.from({ length: 4 }, () => engine.command('pause', { ...owned, reason: 'race' })),
    );
    expect(pauses.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const resumes = await Promise.allSettled(
      Array.from({ length: 4 }, () => engine.command('resume', owned)),
    );
    expect(resumes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    await engine.watcher.until((events) => lifecycle(events, batch.batch_id).includes('BatchResumed'));
    const decisions = lifecycle(engine.watcher.events, batch.batch_id);
    expect(decisions.filter((type) => type === 'BatchPaused')).toHaveLength(1);
    expect(decisions.filter((type) => type === 'BatchResumed')).toHaveLength(1);
    await engine.command('cancel', owned);
    await Promise.all(replicas.map((replica) => replica.stop()));
  });
});
