import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import {
  BatchStats,
  type ApiErrorBody,
  type BatchEvent,
  type BatchView,
  type ResultLine,
} from '@batch/contracts';
import {
  type Caller,
  emptyStats,
  itemsOf,
  type Platform,
  schemaClient,
  seededStats,
  seedStatsBatch,
  startPlatform,
  STATS_BATCH_ITEMS,
} from '@batch/testing';

let platform: Platform;
let alice: Caller;
let bob: Caller;
let db: pg.Client;
/** alice's batch of the stats fixture: created through the API, its rows seeded. */
let seeded: string;

const stats = (caller: Caller, batchId: string) =>
  caller.call<BatchStats & ApiErrorBody>('GET', `/api/v1/batches/${batchId}/stats`);

/** A batch that waits to be started: nothing of it is generated. */
async function pendingBatch(caller: Caller, items = itemsOf(2)): Promise<string> {
  const created = await caller.call<BatchView>('POST', '/api/v1/batches', { items, autoStart: false });
  expect(created.status).toBe(201);
  // Read back: the read model holds the batch and its items before the test writes beside them.
  expect((await caller.call('GET', `/api/v1/batches/${created.body.batch_id}`)).status).toBe(200);
  return created.body.batch_id;
}

beforeAll(async () => {
  platform = await startPlatform();
  alice = await platform.as('alice');
  bob = await platform.as('bob');
  db = await schemaClient(platform);
  seeded = await pendingBatch(alice, STATS_BATCH_ITEMS);
  await seedStatsBatch(db, seeded, 'alice');
}, 120_000);
afterAll(async () => {
  await db?.end();
  await platform?.close();
});

describe('GET /api/v1/batches/:id/stats', () => {
  it('answers the statistics of the seeded batch as counted by hand', async () => {
    const answer = await stats(alice, seeded);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(seededStats(seeded));
    expect(BatchStats.safeParse(answer.body).success).toBe(true);
  });

  it('answers zeros for a batch with nothing generated yet', async () => {
    const batchId = await pendingBatch(alice);
    const answer = await stats(alice, batchId);
    expect(answer).toMatchObject({ status: 200, body: emptyStats(batchId) });
  });

  it("is 404 for another user's batch and for an unknown one, as the results are", async () => {
    for (const [caller, batchId] of [
      [bob, seeded],
      [alice, 'batch_01unknown'],
      [alice, 'not a batch id'],
    ] as const) {
      const path = `/api/v1/batches/${encodeURIComponent(batchId)}`;
      const answer = await stats(caller, encodeURIComponent(batchId));
      const results = await caller.call<ApiErrorBody>('GET', `${path}/results`);
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('not_found');
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: results.status,
        body: results.body,
      });
    }
  });

  it('agrees with the results of a batch the worker generated, counted in JavaScript', async () => {
    const items = [
      ...itemsOf(7, 'live'),
      { id: 'doomed', topic: 'fails', parameters: { simulateError: 'permanent' } },
    ];
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items,
      config: { provider: 'template' },
    });
    const batchId = created.body.batch_id;
    await platform.watcher.until((events: BatchEvent[]) =>
      events.some((event) => event.batchId === batchId && event.type === 'BatchCompleted'),
    );
    const results = await alice.call<string>('GET', `/api/v1/batches/${batchId}/results`);
    const lines = results.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ResultLine);
    const turns = lines.flatMap((line) => line.turns);
    const characters = (role?: string) =>
      turns
        .filter((turn) => role === undefined || turn.role === role)
        .reduce((sum, turn) => sum + [...turn.content].length, 0);
    const perPersona = new Map<string, number>();
    for (const { persona } of lines) perPersona.set(persona, (perPersona.get(persona) ?? 0) + 1);

    const answer = await stats(alice, batchId);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      conversations: 7,
      turns: { total: turns.length },
      characters: {
        total: characters(),
        user: characters('user'),
        assistant: characters('assistant'),
        system: characters('system'),
      },
      failures: { total: 1, by_code: [{ code: 'simulated_permanent', count: 1 }] },
    });
    expect(Object.fromEntries(answer.body.personas.map(({ persona, count }) => [persona, count]))).toEqual(
      Object.fromEntries(perPersona),
    );
  });
});
