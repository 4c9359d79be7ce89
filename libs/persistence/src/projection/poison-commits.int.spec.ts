import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream } from '@nats-io/jetstream';
import type { BatchEvent } from '@batch/contracts';
import {
  completedOutcome,
  createBatch,
  itemsOf,
  storedCheckpoint,
  testPersistence,
  type TestPersistence,
} from '../persistence.spec-helpers.js';
import { getBatchView } from '../queries/batch.queries.js';
import { createBatchProjector, type BatchProjector, type RefusedCommit } from './batch.projector.js';
import { countSetAside } from './set-aside.js';

let env: TestPersistence;
let projector: BatchProjector;
const refused: RefusedCommit[] = [];

beforeAll(async () => {
  env = await testPersistence();
  projector = createBatchProjector({
    ds: env.ds,
    nc: env.nats.nc,
    names: env.nats.names,
    // Small batches: a poison commit shares its transaction with good ones, which must still land.
    batchSize: 3,
    onRefused: (commit) => refused.push(commit),
  });
  await projector.start();
});
afterAll(async () => {
  await projector.stop();
  await env.close();
});

const caughtUp = async () => projector.caughtUp(await env.lastSeq());
const at = '2026-11-30T10:00:00.000Z';
const envelope = (batchId: string) => ({
  eventId: `e-${Math.random()}`,
  batchId,
  occurredAt: at,
  schemaVersion: 1 as const,
});

/** Publishes bytes straight into a batch's items subject, as a buggy or hostile writer could. */
const publishRaw = async (batchId: string, payload: string) =>
  (await jetstream(env.nats.nc).publish(env.nats.names.eventSubject(batchId, 'items'), payload)).seq;

describe('a projection facing commits PostgreSQL refuses', () => {
  it('stores text with NUL and unpaired surrogates with U+FFFD in their place, and goes on', async () => {
    const poisoned: BatchEvent[] = [
      {
        ...envelope('nul-batch'),
        type: 'BatchCreated',
        data: {
          batchId: 'nul-batch',
          userId: 'user-1',
          name: 'a\u0000b',
          config: { provider: 'template', ['note\u0000']: '\ud800' },
          totalItems: 1,
        },
      },
    ];
    await env.events.append('nul-batch', poisoned);
    await env.events.append('nul-batch', [
      {
        ...envelope('nul-batch'),
        type: 'ItemsAdded',
        data: { items: [{ id: 'x', topic: 't\u0000', parameters: { p: 'q\u0000' } }] },
      },
    ]);
    await env.aggregates.handle('after-nul', createBatch('after-nul', itemsOf(2)));

    await caughtUp();

    expect(await getBatchView(env.ds, 'user-1', 'nul-batch')).toMatchObject({
      name: 'a\uFFFDb',
      config: { provider: 'template', ['note\uFFFD']: '\uFFFD' },
      total_items: 1,
    });
    const [item] = await env.ds.query(
      `SELECT topic, parameters FROM batch_items WHERE batch_id = 'nul-batch'`,
    );
    expect(item).toEqual({ topic: 't\uFFFD', parameters: { p: 'q\uFFFD' } });
    expect(await getBatchView(env.ds, 'user-1', 'after-nul')).toMatchObject({
      total_items: 2,
      status: 'running',
    });
    expect(refused.filter((commit) => commit.subject.includes('.nul-batch.'))).toEqual([
      expect.objectContaining({ kind: 'replaced', reason: expect.stringMatching(/PostgreSQL refused it/) }),
      expect.objectContaining({ kind: 'replaced' }),
    ]);
    expect(await storedCheckpoint(env.ds)).toBe(await env.lastSeq());
  });

  it('sets aside what is not events, or what PostgreSQL refuses even with text replaced, keeping its bytes', async () => {
    await env.aggregates.handle('poisoned', createBatch('poisoned', itemsOf(3)));
    const notJson = await publishRaw('poisoned', '{not json');
    const notEvents = await publishRaw('poisoned', '[{"type":"ItemCompleted","data":{}}]');
    const outOfRange = (
      await env.events.append('poisoned', [completedOutcome('poisoned', 'item-0', 2 ** 31)])
    ).seq;
    await env.events.append('poisoned', [completedOutcome('poisoned', 'item-1')]);

    await caughtUp();

    const setAside = await env.ds.query(
      `SELECT seq::int AS seq, subject, error, convert_from(payload, 'UTF8') AS payload
         FROM projection_set_aside ORDER BY seq`,
    );
    expect(setAside).toEqual([
      expect.objectContaining({ seq: notJson, payload: '{not json', error: 'malformed commit: not JSON' }),
      expect.objectContaining({ seq: notEvents, error: expect.stringMatching(/^malformed commit: \[0\]/) }),
      expect.objectContaining({ seq: outOfRange, error: expect.stringMatching(/out of range/) }),
    ]);
    expect(setAside[0].subject).toBe(env.nats.names.eventSubject('poisoned', 'items'));
    expect(await countSetAside(env.ds)).toEqual(new Map([['batches', 3]]));
    expect(refused.filter((commit) => commit.kind === 'set-aside').map((commit) => commit.seq)).toEqual([
      notJson,
      notEvents,
      outOfRange,
    ]);
    // The commits after them were applied: the projection is not stuck behind them.
    expect(await getBatchView(env.ds, 'user-1', 'poisoned')).toMatchObject({
      processed_count: 1,
      pending_count: 2,
    });
    expect(await storedCheckpoint(env.ds)).toBe(await env.lastSeq());
  });
});
