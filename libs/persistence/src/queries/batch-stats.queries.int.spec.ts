import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { emptyStats, seededStats, seedStatsBatch } from '@batch/testing';
import { migratedDatabase } from '../persistence.spec-helpers.js';
import { batchStats } from './batch-stats.queries.js';

let ds: DataSource;
let close: () => Promise<void>;

/** A batch's row as the projection leaves it; only who owns it matters to the statistics. */
const insertBatch = (batchId: string, userId: string) =>
  ds.query(
    `INSERT INTO batches (batch_id, user_id, status, declared_items, total_items, pending_count, config,
                          created_at, last_checkpoint_at)
     VALUES ($1, $2, 'running', 11, 11, 0, '{}', now(), now())`,
    [batchId, userId],
  );

beforeAll(async () => {
  ({ ds, close } = await migratedDatabase());
  await insertBatch('seeded', 'alice');
  await seedStatsBatch(ds, 'seeded', 'alice');
  // The same rows in a batch of bob's: none of them may count in alice's.
  await insertBatch('bobs', 'bob');
  await seedStatsBatch(ds, 'bobs', 'bob');
  await insertBatch('empty', 'alice');
});
afterAll(() => close?.());

describe('batchStats', () => {
  it('counts the seeded batch as counted by hand', async () => {
    expect(await batchStats(ds, { userId: 'alice', batchId: 'seeded' })).toEqual(seededStats('seeded'));
  });

  it('answers zeros, and no per-conversation figures, for a batch with nothing stored', async () => {
    expect(await batchStats(ds, { userId: 'alice', batchId: 'empty' })).toEqual(emptyStats('empty'));
  });

  it("counts nothing of another user's batch", async () => {
    expect(await batchStats(ds, { userId: 'alice', batchId: 'bobs' })).toEqual(emptyStats('bobs'));
  });

  it('lists the 50 most frequent personas, by count then name', async () => {
    await insertBatch('crowd', 'alice');
    // persona-00 once, persona-01 twice, ... persona-59 sixty times.
    await ds.query(
      `INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at)
       SELECT 'crowd-' || p || '-' || n, 'crowd', p || '-' || n, 'alice', 't', 'persona-' || lpad(p::text, 2, '0'), '', now()
         FROM generate_series(0, 59) p, generate_series(0, p) n`,
    );
    const { personas, conversations } = await batchStats(ds, { userId: 'alice', batchId: 'crowd' });
    expect(conversations).toBe((60 * 61) / 2);
    expect(personas).toHaveLength(50);
    expect(personas[0]).toEqual({ persona: 'persona-59', count: 60 });
    expect(personas.at(-1)).toEqual({ persona: 'persona-10', count: 11 });
  });
});
