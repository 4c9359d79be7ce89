import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BatchEvent, BatchList, BatchView, ItemPage, ResultLine } from '@batch/contracts';
import { itemsOf, startPlatform, type Caller, type Platform } from '@batch/testing';

let platform: Platform;
let alice: Caller;

beforeAll(async () => {
  platform = await startPlatform();
  alice = await platform.as('alice');
}, 120_000);
afterAll(() => platform?.close());

const has = (batchId: string, type: BatchEvent['type']) => (events: BatchEvent[]) =>
  events.some((event) => event.batchId === batchId && event.type === type);

const VIEW_FIELDS = [
  'batch_id',
  'name',
  'status',
  'total_items',
  'processed_count',
  'failed_count',
  'pending_count',
  'progress_percent',
  'config',
  'created_at',
  'started_at',
  'paused_at',
  'pause_reason',
  'completed_at',
  'prompt_tokens',
  'completion_tokens',
  'cost_usd',
  'last_checkpoint_at',
];

async function createAndFinish(caller: Caller, body: object): Promise<BatchView> {
  const created = await caller.call<BatchView>('POST', '/api/v1/batches', body);
  expect(created.status).toBe(201);
  await platform.watcher.until(has(created.body.batch_id, 'BatchCompleted'));
  return (await caller.call<BatchView>('GET', `/api/v1/batches/${created.body.batch_id}`)).body;
}

describe('a batch through the REST API', () => {
  it('is created (201, every view field), runs to completed and lists its results as JSONL', async () => {
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      name: 'first',
      items: itemsOf(20),
      config: { provider: 'template', systemPrompt: 'be brief' },
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual([...VIEW_FIELDS].sort());
    expect(created.body).toMatchObject({ name: 'first', status: 'running', total_items: 20 });

    await platform.watcher.until(has(created.body.batch_id, 'BatchCompleted'));
    const done = await alice.call<BatchView>('GET', `/api/v1/batches/${created.body.batch_id}`);
    expect(done.body).toMatchObject({
      status: 'completed',
      processed_count: 20,
      failed_count: 0,
      pending_count: 0,
      progress_percent: 100,
    });
    expect(done.body.completed_at).not.toBeNull();

    const results = await alice.call<string>('GET', `/api/v1/batches/${created.body.batch_id}/results`);
    expect(results.status).toBe(200);
    expect(results.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = results.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ResultLine);
    expect(lines.map((line) => line.item_id).sort()).toEqual(
      itemsOf(20)
        .map((item) => item.id)
        .sort(),
    );
    expect(lines[0]!.turns.length).toBeGreaterThan(1);
    expect(lines[0]!.turns[0]).toEqual({ role: 'system', content: expect.stringContaining('be brief') });
  });

  it('streams the results done so far while the batch still runs', async () => {
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: itemsOf(300, 'slow'),
      config: { provider: 'template', latencyMs: 50 },
    });
    const batchId = created.body.batch_id;
    await platform.watcher.until(
      (events) => events.filter((e) => e.batchId === batchId && e.type === 'ItemCompleted').length >= 10,
    );
    const partial = await alice.call<string>('GET', `/api/v1/batches/${batchId}/results`);
    const lines = partial.body.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeLessThan(300);
    expect(lines.every((line) => (JSON.parse(line) as ResultLine).item_id.startsWith('slow-'))).toBe(true);
    expect((await alice.call<BatchView>('POST', `/api/v1/batches/${batchId}/cancel`)).body.status).toBe(
      'cancelled',
    );
  });

  it('lists by status with a cursor, and the incomplete ones', async () => {
    const user = await platform.as('lister');
    const finished = await createAndFinish(user, { name: 'done', items: itemsOf(2) });
    const waiting = await user.call<BatchView>('POST', '/api/v1/batches', {
      name: 'waiting',
      items: itemsOf(2),
      autoStart: false,
    });
    expect(waiting.body.status).toBe('pending');

    const all = await user.call<BatchList>('GET', '/api/v1/batches');
    expect(all.body.batches.map((batch) => batch.name)).toEqual(['waiting', 'done']);
    const completed = await user.call<BatchList>('GET', '/api/v1/batches?status=completed');
    expect(completed.body.batches.map((batch) => batch.batch_id)).toEqual([finished.batch_id]);

    const first = await user.call<BatchList>('GET', '/api/v1/batches?limit=1');
    expect(first.body.batches).toHaveLength(1);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await user.call<BatchList>(
      'GET',
      `/api/v1/batches?limit=1&cursor=${encodeURIComponent(first.body.next_cursor!)}`,
    );
    expect(second.body.batches.map((batch) => batch.name)).toEqual(['done']);
    expect(second.body.next_cursor).toBeNull();

    const incomplete = await user.call<BatchList>('GET', '/api/v1/batches/incomplete');
    expect(incomplete.body.batches.map((batch) => batch.name)).toEqual(['waiting']);
  });

  it('lists items by status with a cursor; failed items carry their error; retry-failed requeues them', async () => {
    const items = [
      ...itemsOf(4, 'ok'),
      { id: 'bad-1', topic: 'broken', parameters: { simulateError: 'permanent' } },
      { id: 'bad-2', topic: 'broken', parameters: { simulateError: 'permanent' } },
    ];
    const done = await createAndFinish(alice, { items });
    expect(done).toMatchObject({ status: 'completed', processed_count: 4, failed_count: 2 });

    const failed = await alice.call<ItemPage>('GET', `/api/v1/batches/${done.batch_id}/items?status=failed`);
    expect(failed.body.items.map((item) => item.item_id)).toEqual(['bad-1', 'bad-2']);
    expect(failed.body.items[0]!.error).toMatchObject({ category: 'permanent', retryable: false });

    const page1 = await alice.call<ItemPage>(
      'GET',
      `/api/v1/batches/${done.batch_id}/items?status=completed&limit=3`,
    );
    const page2 = await alice.call<ItemPage>(
      'GET',
      `/api/v1/batches/${done.batch_id}/items?status=completed&limit=3&cursor=${page1.body.next_cursor}`,
    );
    expect([...page1.body.items, ...page2.body.items].map((item) => item.item_id)).toEqual(
      itemsOf(4, 'ok').map((item) => item.id),
    );
    expect(page2.body.next_cursor).toBeNull();

    const retried = await alice.call<BatchView>('POST', `/api/v1/batches/${done.batch_id}/retry-failed`);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('running');
    await platform.watcher.until(
      (events) =>
        events.filter((e) => e.batchId === done.batch_id && e.type === 'BatchFailed').length > 0 ||
        events.filter((e) => e.batchId === done.batch_id && e.type === 'BatchCompleted').length >= 2,
    );
    const again = await alice.call<BatchView>('GET', `/api/v1/batches/${done.batch_id}`);
    expect(again.body).toMatchObject({ status: 'completed', processed_count: 4, failed_count: 2 });
  });

  it('ends failed when every item failed, and retry-failed reopens it with the failures requeued', async () => {
    const broken = (id: string) => ({ id, topic: 'broken', parameters: { simulateError: 'permanent' } });
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: [broken('x'), broken('y')],
    });
    const batchId = created.body.batch_id;
    await platform.watcher.until(has(batchId, 'BatchFailed'));
    expect((await alice.call<BatchView>('GET', `/api/v1/batches/${batchId}`)).body).toMatchObject({
      status: 'failed',
      failed_count: 2,
      processed_count: 0,
    });
    const retried = await alice.call<BatchView>('POST', `/api/v1/batches/${batchId}/retry-failed`);
    expect(retried.body).toMatchObject({ status: 'running', failed_count: 0, pending_count: 2 });
  });

  it('takes a large batch in chunks: create without start, add items, start', async () => {
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      name: 'chunked',
      items: itemsOf(3, 'first'),
      autoStart: false,
    });
    const batchId = created.body.batch_id;
    const added = await alice.call<BatchView>('POST', `/api/v1/batches/${batchId}/items`, {
      items: itemsOf(3, 'second'),
    });
    expect(added.body).toMatchObject({ status: 'pending', total_items: 6 });
    const duplicate = await alice.call('POST', `/api/v1/batches/${batchId}/items`, {
      items: itemsOf(1, 'first'),
    });
    expect(duplicate.status).toBe(422);
    const started = await alice.call<BatchView>('POST', `/api/v1/batches/${batchId}/start`);
    expect(started.body.status).toBe('running');
    const late = await alice.call('POST', `/api/v1/batches/${batchId}/items`, { items: itemsOf(1, 'late') });
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    await platform.watcher.until(has(batchId, 'BatchCompleted'));
    expect((await alice.call<BatchView>('GET', `/api/v1/batches/${batchId}`)).body.processed_count).toBe(6);
  });

  it('accepts 100,000 items in one request (split into several NATS messages inside)', async () => {
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      name: 'hundred thousand',
      items: itemsOf(100_000, 'big'),
      autoStart: false,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ total_items: 100_000, status: 'pending' });
    const added = platform.watcher.until(
      (events) =>
        events
          .filter((event) => event.batchId === created.body.batch_id && event.type === 'ItemsAdded')
          .reduce((sum, event) => sum + (event.type === 'ItemsAdded' ? event.data.items.length : 0), 0) ===
        100_000,
    );
    await added;
    expect((await alice.call('DELETE', `/api/v1/batches/${created.body.batch_id}`)).status).toBe(204);
  }, 120_000);

  it('pauses, resumes with config overrides, cancels and discards; refuses what the state forbids', async () => {
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: itemsOf(200, 'life'),
      config: { provider: 'template', latencyMs: 20 },
    });
    const path = `/api/v1/batches/${created.body.batch_id}`;
    const paused = await alice.call<BatchView>('POST', `${path}/pause`);
    expect(paused.body.status).toBe('paused');
    expect(paused.body.paused_at).not.toBeNull();
    expect((await alice.call('POST', `${path}/pause`)).status).toBe(409);
    const resumed = await alice.call<BatchView>('POST', `${path}/resume`, {
      configOverrides: { systemPrompt: 'after resume' },
    });
    expect(resumed.body).toMatchObject({ status: 'running', config: { systemPrompt: 'after resume' } });
    expect((await alice.call('DELETE', path)).status).toBe(409);
    expect((await alice.call<BatchView>('POST', `${path}/cancel`)).body.status).toBe('cancelled');
    expect((await alice.call('POST', `${path}/resume`)).status).toBe(409);
    expect((await alice.call('DELETE', path)).status).toBe(204);
    expect((await alice.call('GET', path)).status).toBe(404);
  });

  it('recovers and cleans up, and answers what it did', async () => {
    const recovered = await alice.call('POST', '/api/v1/batches/recover');
    expect(recovered.status).toBe(200);
    expect(recovered.body).toEqual({ recovered_count: expect.any(Number), failed_count: 0 });
    const user = await platform.as('cleaner');
    const done = await createAndFinish(user, { items: itemsOf(1) });
    const kept = await user.call('POST', '/api/v1/batches/cleanup', { days_old: 1 });
    expect(kept.body).toEqual({ cleaned_count: 0, days_old: 1 });
    const cleaned = await user.call('POST', '/api/v1/batches/cleanup', { days_old: 0 });
    expect(cleaned.body).toEqual({ cleaned_count: 1, days_old: 0 });
    expect((await user.call('GET', `/api/v1/batches/${done.batch_id}`)).status).toBe(404);
  });
});
