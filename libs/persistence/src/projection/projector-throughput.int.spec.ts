import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  appendInCommits,
  completedOutcome,
  createBatch,
  itemsOf,
  testPersistence,
  type TestPersistence,
} from '../persistence.spec-helpers.js';
import { getBatchView } from '../queries/batch.queries.js';
import { createBatchProjector } from './batch.projector.js';

let env: TestPersistence;

beforeAll(async () => {
  env = await testPersistence();
});
afterAll(() => env.close());

const ITEMS = 100_000;
const PER_COMMIT = 1_000;

/** Starts a projector on what the log holds, and times it until it has applied all of it. */
async function timeProjection(): Promise<number> {
  const lastSeq = await env.lastSeq();
  const projector = createBatchProjector({ ds: env.ds, nc: env.nats.nc, names: env.nats.names });
  const started = performance.now();
  await projector.start();
  await projector.caughtUp(lastSeq);
  const elapsed = performance.now() - started;
  await projector.stop();
  return elapsed;
}

const perSecond = (events: number, ms: number) => Math.round(events / (ms / 1000)).toLocaleString('en-US');

// A measurement, not a timed assertion: the figure goes to the log (README, Performance).
describe('projector throughput', () => {
  it(`applies ${ITEMS.toLocaleString('en-US')} outcomes in commits of ${PER_COMMIT}`, async () => {
    const batchId = 'throughput';
    await env.aggregates.handle(batchId, createBatch(batchId, itemsOf(ITEMS)));
    const addMs = await timeProjection();

    await appendInCommits(
      env.events,
      batchId,
      itemsOf(ITEMS).map(({ id }) => completedOutcome(batchId, id)),
      PER_COMMIT,
    );
    const outcomeMs = await timeProjection();

    expect(await getBatchView(env.ds, 'user-1', batchId)).toMatchObject({
      total_items: ITEMS,
      processed_count: ITEMS,
      pending_count: 0,
    });
    console.log(
      `projector: ${ITEMS} items added in ${Math.round(addMs)} ms (${perSecond(ITEMS, addMs)} items/s); ` +
        `${ITEMS} outcomes in ${ITEMS / PER_COMMIT} commits applied in ${Math.round(outcomeMs)} ms ` +
        `(${perSecond(ITEMS, outcomeMs)} events/s)`,
    );
  });
});
