import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { request } from '@batch/messaging';
import type { BatchView } from '../commands/batch-view.js';
import { ended, itemsOf, startEngine, type Engine } from './engine-harness.js';

jest.setTimeout(120_000);

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterEach(() => engine.stopAll());
afterAll(() => engine.close());

const refusal = async (subject: string, payload: unknown) => {
  const reply = await request(engine.nats.nc, subject, payload);
  if (reply.ok) throw new Error(`expected a refusal on ${subject}`);
  return reply.error;
};

describe('the orchestrator over NATS request/reply', () => {
  it('creates a large batch in chunks, starts it once all items arrived, and answers queries scoped to its owner', async () => {
    await Promise.all([engine.orchestrator(), engine.worker()]);
    const owner = { userId: 'alice', batchId: 'chunked-batch' };
    const created = await engine.command<BatchView>('create', {
      ...owner,
      name: 'chunked',
      items: itemsOf(30).slice(0, 20),
      totalItems: 30,
      autoStart: false,
    });
    expect(created).toMatchObject({
      batch_id: 'chunked-batch',
      status: 'pending',
      total_items: 30,
      pending_count: 30,
    });
    const early = await refusal(engine.nats.names.command('start'), owner);
    expect(early.code).toBe('invalid_state');

    await engine.command('add-items', { ...owner, items: itemsOf(30).slice(20) });
    const started = await engine.command<BatchView>('start', owner);
    expect(started.status).toBe('running');
    await engine.watcher.until(ended('chunked-batch'));

    const items = await engine.query<{ items: { item_id: string; status: string }[] }>('items', {
      ...owner,
      status: 'completed',
      limit: 100,
    });
    expect(items.items).toHaveLength(30);
    const stranger = await refusal(engine.nats.names.query('get'), {
      userId: 'mallory',
      batchId: 'chunked-batch',
    });
    expect(stranger.code).toBe('not_found');
    const theirs = await engine.query<{ items: BatchView[] }>('list', { userId: 'mallory' });
    expect(theirs.items).toHaveLength(0);
  });

  it('refuses malformed requests naming the field, and illegal moves with their code', async () => {
    await engine.orchestrator();
    const invalid = await refusal(engine.nats.names.command('create'), {
      userId: 'alice',
      items: [{ id: 'a b', topic: '' }],
    });
    expect(invalid.code).toBe('validation');
    expect(invalid.message).toMatch(/items\[0\]\.id/);
    expect(invalid.message).toMatch(/items\[0\]\.topic/);

    const owner = { userId: 'alice', batchId: 'tiny' };
    await engine.command('create', { ...owner, items: itemsOf(2), autoStart: false });
    expect((await refusal(engine.nats.names.command('resume'), owner)).code).toBe('invalid_state');
    expect((await refusal(engine.nats.names.command('retry-failed'), owner)).code).toBe('invalid_state');
    expect((await refusal(engine.nats.names.command('create'), { ...owner, items: itemsOf(1) })).code).toBe(
      'already_exists',
    );
    await engine.command('cancel', owner);
    expect(await engine.command('discard', owner)).toEqual({ batch_id: 'tiny', discarded: true });
    expect((await refusal(engine.nats.names.query('get'), owner)).code).toBe('not_found');
  });

  it('cleans up ended batches (events, snapshot, rows) and never a running one', async () => {
    await engine.orchestrator();
    const done = { userId: 'bob', batchId: 'ended-one' };
    await engine.command('create', { ...done, items: itemsOf(3), autoStart: false });
    await engine.command('cancel', done);
    const running = { userId: 'bob', batchId: 'still-running' };
    await engine.command('create', { ...running, items: itemsOf(3) });
    await engine.watcher.until((events) =>
      events.some((event) => event.batchId === 'ended-one' && event.type === 'BatchCancelled'),
    );

    const cleaned = await engine.command<{ cleaned_count: number }>('cleanup', { userId: 'bob', daysOld: 0 });
    expect(cleaned.cleaned_count).toBe(1);
    expect((await refusal(engine.nats.names.query('get'), done)).code).toBe('not_found');
    expect((await engine.query<BatchView>('get', running)).status).toBe('running');
    const recovered = await engine.command<{ recovered_count: number }>('recover', { userId: 'bob' });
    expect(recovered.recovered_count).toBe(1);
  });
});
