import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { BatchView } from '../commands/batch-view.js';
import { completedIds, ended, itemsOf, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(120_000);

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterEach(() => engine.stopAll());
afterAll(() => engine.close());

async function get(url: string) {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

describe('the service shell', () => {
  it("answers /healthz, /readyz and /metrics on each service's ops port, with the service's own figures", async () => {
    const orchestrator = await engine.orchestrator();
    const worker = await engine.worker();
    const batch = await engine.command<BatchView>('create', {
      userId: 'user-1',
      items: itemsOf(5, 'ops'),
      config: { provider: 'template' },
    });
    await engine.watcher.until(ended(batch.batch_id));

    for (const service of [orchestrator, worker]) {
      expect(await get(`${service.opsUrl}/healthz`)).toEqual({ status: 200, text: '{"status":"ok"}' });
      const ready = await get(`${service.opsUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text)).toEqual({ status: 'ready', checks: { nats: 'up', postgres: 'up' } });
    }
    const orchestratorMetrics = (await get(`${orchestrator.opsUrl}/metrics`)).text;
    for (const gauge of ['work_pending_messages', 'work_ack_pending_messages', 'dispatch_in_flight_items'])
      expect(orchestratorMetrics).toMatch(new RegExp(`^${gauge} \\d+$`, 'm'));
    expect(orchestratorMetrics).toMatch(/^projection_lag_commits \d+$/m);
    const workerMetrics = (await get(`${worker.opsUrl}/metrics`)).text;
    expect(workerMetrics).toMatch(/^items_settled_total\{status="completed"\} 5$/m);
    expect(workerMetrics).toMatch(
      /^provider_call_duration_seconds_count\{provider="template",result="ok"\} 5$/m,
    );
    expect(workerMetrics).toMatch(/^outcome_commit_events_sum 5$/m);
    expect(workerMetrics).toContain('process_cpu_seconds_total');
  });

  it('stops on SIGTERM with exit 0, finishing or handing back its work: nothing lost, nothing generated twice', async () => {
    let orchestrator = await engine.orchestrator();
    let worker = await engine.worker();
    // Three rounds: a hand-back raced the stopping worker's own open pulls about one time in three.
    for (const round of [1, 2, 3]) {
      // 40 items of 300 ms, 3 at a time: about 4 s of work, interrupted early.
      const batch = await engine.command<BatchView>('create', {
        userId: 'user-1',
        items: itemsOf(40, `graceful-${round}-`),
        config: { provider: 'template', latencyMs: 300 },
      });
      await engine.watcher.until((events) => completedIds(events, batch.batch_id).size >= 3);

      expect(await Promise.all([worker.stop(), orchestrator.stop()])).toEqual([0, 0]);
      for (const service of [worker, orchestrator])
        expect(service.lines.some((line) => line.includes('"stopped"'))).toBe(true);

      orchestrator = await engine.orchestrator();
      worker = await engine.worker();
      await engine.watcher.until(ended(batch.batch_id));

      expect(completedIds(engine.watcher.events, batch.batch_id).size).toBe(40);
      const calls = engine.providerCalls(batch.batch_id);
      expect(new Set(calls).size).toBe(40);
      expect(calls).toHaveLength(40);
      const [{ stored, items }] = await engine.sql<{ stored: string; items: string }>(
        'SELECT count(*) AS stored, count(DISTINCT item_id) AS items FROM $schema.conversations WHERE batch_id = $1',
        [batch.batch_id],
      );
      expect({ stored: Number(stored), items: Number(items) }).toEqual({ stored: 40, items: 40 });
    }
  });
});
