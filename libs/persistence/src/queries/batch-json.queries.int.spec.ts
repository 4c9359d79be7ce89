import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { BatchStatus, ValidationError } from '@batch/contracts';
import { migratedDatabase } from '../persistence.spec-helpers.js';
import { BATCHES_PROJECTION } from '../projection/projection-checkpoint.js';
import { batchViewJson, listBatchesJson } from './batch-json.queries.js';
import { getBatchView, listBatchViews } from './batch.queries.js';
import type { BatchView, Page } from './batch-views.js';

let db: { ds: DataSource; close(): Promise<void> };

beforeAll(async () => {
  db = await migratedDatabase();
});
afterAll(() => db.close());

interface Row {
  batchId: string;
  userId: string;
  name: string;
  status: BatchStatus;
  counts: [number, number, number, number];
  config: object;
  times: (string | null)[];
  pauseReason: string | null;
  tokens: [number, number];
  costUsd: number;
}

/** A time to the microsecond (PostgreSQL keeps them; the views show milliseconds). */
const time = fc
  .tuple(
    fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
    fc.integer({ min: 0, max: 999 }),
  )
  .map(([ms, micros]) => `${new Date(ms).toISOString().slice(0, -1)}${String(micros).padStart(3, '0')}Z`);
/** Any text PostgreSQL stores: control characters and astral ones included, NUL not. */
const text = fc.string({ unit: 'binary', maxLength: 40 }).map((value) => value.replaceAll('\0', ''));
const count = fc.integer({ min: 0, max: 2_000_000 });
/** Costs of every size, exact halves of a nano-dollar among them (where rounding may differ). */
const cost = fc.oneof(
  fc.double({ min: 0, max: 1e7, noNaN: true }),
  fc.double({ min: 0, max: 1e-5, noNaN: true }),
  fc.integer({ min: 0, max: 1e9 }).map((nanos) => (nanos + 0.5) / 1e9),
  fc.constantFrom(0, 1e-9, 5e-10, 1.5e-9, 2.5e-9, 1e-7, 0.1 + 0.2),
);

const row = (userId: string) =>
  fc.record<Row>({
    batchId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    userId: fc.constant(userId),
    name: text,
    status: fc.constantFrom(...BatchStatus.options),
    counts: fc.tuple(count, count, count, count),
    config: fc.record({
      provider: fc.constantFrom('template', 'openai'),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      systemPrompt: text,
      tiny: fc.constantFrom(1e-7, 0.5, 1e21),
    }),
    times: fc.tuple(time, fc.option(time), fc.option(time), fc.option(time), time),
    pauseReason: fc.option(text),
    tokens: fc.tuple(fc.maxSafeNat(), fc.integer({ min: 0, max: 2 ** 31 })),
    costUsd: cost,
  });

async function store(rows: Row[]): Promise<void> {
  await db.ds.query('DELETE FROM batches');
  for (const batch of rows) {
    const [total, processed, failed, pending] = batch.counts;
    await db.ds.query(
      `INSERT INTO batches (batch_id, user_id, name, status, declared_items, items_added, total_items,
         processed_count, failed_count, pending_count, config, created_at, started_at, paused_at,
         completed_at, last_checkpoint_at, pause_reason, prompt_tokens, completion_tokens, cost_usd)
       VALUES ($1, $2, $3, $4, $5, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
       ON CONFLICT (batch_id) DO NOTHING`,
      [
        batch.batchId,
        batch.userId,
        batch.name,
        batch.status,
        total,
        processed,
        failed,
        pending,
        JSON.stringify(batch.config),
        ...batch.times,
        batch.pauseReason,
        ...batch.tokens,
        batch.costUsd,
      ],
    );
  }
}

async function pagesOf<T>(next: (cursor?: string) => Promise<Page<T>>): Promise<Page<T>[]> {
  const pages: Page<T>[] = [];
  let cursor: string | undefined;
  do {
    const page = await next(cursor);
    pages.push(page);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return pages;
}

const parsedList = (json: string): Page<BatchView> => {
  const { batches, next_cursor } = JSON.parse(json) as { batches: BatchView[]; next_cursor: string | null };
  return { items: batches, next_cursor };
};

describe('the batch views PostgreSQL builds as JSON', () => {
  it('hold the values toBatchView computes, field by field and in its order, page by page', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row('user-1'), { maxLength: 7 }),
        fc.array(row('user-2'), { maxLength: 2 }),
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.constantFrom(...BatchStatus.options)),
        async (mine, theirs, limit, status) => {
          await store([...mine, ...theirs]);
          const query = { userId: 'user-1', limit, ...(status ? { status } : {}) };
          const expected = await pagesOf((cursor) => listBatchViews(db.ds, { ...query, cursor }));
          const built = await pagesOf(async (cursor) =>
            parsedList((await listBatchesJson(db.ds, { ...query, cursor })).json),
          );
          expect(built).toEqual(expected);
          for (const page of built)
            for (const view of page.items)
              expect(Object.keys(view)).toEqual(Object.keys(expected[0]!.items[0]!));
          for (const { batchId, userId } of [...mine, ...theirs]) {
            const { json } = await batchViewJson(db.ds, 'user-1', batchId);
            const view = await getBatchView(db.ds, 'user-1', batchId);
            expect(json === null ? undefined : JSON.parse(json)).toEqual(view);
            if (userId !== 'user-1' && !mine.some((batch) => batch.batchId === batchId))
              expect(json).toBeNull();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is an empty page for a user without batches', async () => {
    const { json } = await listBatchesJson(db.ds, { userId: 'nobody' });
    expect(json).toBe('{"batches":[],"next_cursor":null}');
  });

  it('refuses a cursor that is not one as the caller’s mistake', async () => {
    await expect(listBatchesJson(db.ds, { userId: 'user-1', cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('carry the checkpoint of the projection read in the same snapshot (0 before it has one)', async () => {
    await db.ds.query('DELETE FROM projection_checkpoints');
    expect((await listBatchesJson(db.ds, { userId: 'user-1' })).appliedSeq).toBe(0);
    await db.ds.query(
      `INSERT INTO projection_checkpoints (name, last_seq, updated_at) VALUES ($1, 4242, now())`,
      [BATCHES_PROJECTION],
    );
    expect((await listBatchesJson(db.ds, { userId: 'user-1' })).appliedSeq).toBe(4242);
    expect((await batchViewJson(db.ds, 'user-1', 'none')).appliedSeq).toBe(4242);
  });
});
