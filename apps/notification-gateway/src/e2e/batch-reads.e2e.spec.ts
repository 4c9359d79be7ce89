import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { BatchList, BatchView } from '@batch/contracts';
import { itemsOf, startPlatform, type Caller, type Platform } from '@batch/testing';

let platform: Platform;
let alice: Caller;
let bob: Caller;

beforeAll(async () => {
  platform = await startPlatform();
  alice = await platform.as('alice');
  bob = await platform.as('bob');
}, 120_000);
afterAll(() => platform?.close());

const BATCHES = '/api/v1/batches';

/** A batch the worker is kept busy with (20 ms a call): it is still running when the test pauses it. */
const running = (caller: Caller) =>
  caller.call<BatchView>('POST', BATCHES, {
    items: itemsOf(200, 'long'),
    config: { provider: 'template', latencyMs: 20 },
  });

/**
 * Holds the projection's checkpoint row locked, so the projector cannot apply anything until
 * `release`: commands still append, and the read model stays behind the event log meanwhile.
 */
async function holdProjection(): Promise<{ release(): Promise<void> }> {
  const db = new pg.Client({ connectionString: platform.database.url });
  await db.connect();
  await db.query('BEGIN');
  await db.query(
    `SELECT last_seq FROM "${platform.database.schema}".projection_checkpoints WHERE name = 'batches' FOR UPDATE`,
  );
  return {
    release: async () => {
      await db.query('COMMIT');
      await db.end();
    },
  };
}

describe('reads of the read model in the gateway, after the caller’s own writes', () => {
  it('list and get a batch at once after its create, every time', async () => {
    const names: string[] = [];
    for (let round = 0; round < 10; round++) {
      const created = await alice.call<BatchView>('POST', BATCHES, {
        name: `round ${round}`,
        items: itemsOf(2),
        autoStart: false,
      });
      names.unshift(`round ${round}`);
      const list = await alice.call<BatchList>('GET', BATCHES);
      expect(list.status).toBe(200);
      expect(list.body.batches.map((batch) => batch.name)).toEqual(names);
      const got = await alice.call<BatchView>('GET', `${BATCHES}/${created.body.batch_id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({ ...created.body, last_checkpoint_at: expect.any(String) });
    }
  });

  it('get and list a batch as paused at once after its pause', async () => {
    const created = await running(alice);
    const path = `${BATCHES}/${created.body.batch_id}`;
    const paused = await alice.call<BatchView>('POST', `${path}/pause`);
    expect(paused.body.status).toBe('paused');
    const got = await alice.call<BatchView>('GET', path);
    expect(got.body).toMatchObject({ status: 'paused', paused_at: paused.body.paused_at });
    const list = await alice.call<BatchList>('GET', `${BATCHES}?status=paused`);
    expect(list.body.batches.map((batch) => batch.batch_id)).toContain(created.body.batch_id);
  });

  it('wait for a projection that is behind the write, and answer once it has applied it', async () => {
    const created = await running(alice);
    const path = `${BATCHES}/${created.body.batch_id}`;
    const projection = await holdProjection();
    // The reads leave before the projection is let go: they find it behind the pause.
    const { paused, reads } = await alice
      .call<BatchView>('POST', `${path}/pause`)
      .then((paused) => ({
        paused,
        reads: Promise.all([
          alice.call<BatchView>('GET', path),
          alice.call<BatchList>('GET', `${BATCHES}?status=paused`),
        ]),
      }))
      .finally(() => projection.release());
    expect(paused.body.status).toBe('paused');
    const [got, list] = await reads;
    expect(got.body.status).toBe('paused');
    expect(list.body.batches.map((batch) => batch.batch_id)).toContain(created.body.batch_id);
  });

  it('never show another user’s batch: not in their list, a 404 by id', async () => {
    const theirs = await bob.call<BatchView>('POST', BATCHES, {
      name: 'bob’s',
      items: itemsOf(1),
      autoStart: false,
    });
    const list = await alice.call<BatchList>('GET', `${BATCHES}?limit=1000`);
    expect(list.body.batches.map((batch) => batch.batch_id)).not.toContain(theirs.body.batch_id);
    expect(list.body.batches.every((batch) => batch.name !== 'bob’s')).toBe(true);
    const got = await alice.call('GET', `${BATCHES}/${theirs.body.batch_id}`);
    expect(got).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect((await bob.call('GET', `${BATCHES}/${theirs.body.batch_id}`)).status).toBe(200);
  });

  it('refuse a cursor that is not one with a 422 naming it', async () => {
    const answer = await alice.call('GET', `${BATCHES}?cursor=not-a-cursor`);
    expect(answer).toMatchObject({
      status: 422,
      body: { error: { code: 'validation', message: expect.stringContaining('cursor') } },
    });
  });
});
