import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { BatchView } from '@batch/client';
import {
  type Caller,
  emptyStats,
  type Platform,
  schemaClient,
  seededStats,
  seedStatsBatch,
  startPlatform,
  STATS_BATCH_ITEMS,
} from '@batch/testing';

const launcher = fileURLToPath(new URL('../bin/batchctl.mjs', import.meta.url));

let platform: Platform;
let alice: Caller;
let db: pg.Client;
let seeded: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a user runs it, as alice. */
const batchctl = (...args: string[]): Promise<Run> =>
  new Promise((resolve) =>
    execFile(
      process.execPath,
      [launcher, ...args],
      { env: { ...process.env, BATCH_API_URL: platform.baseUrl, BATCH_API_TOKEN: alice.token } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );

async function pendingBatch(items: { id: string; topic: string }[]): Promise<string> {
  const created = await alice.call<BatchView>('POST', '/api/v1/batches', { items, autoStart: false });
  // Read back: the read model holds the batch and its items before the test writes beside them.
  await alice.call('GET', `/api/v1/batches/${created.body.batch_id}`);
  return created.body.batch_id;
}

beforeAll(async () => {
  platform = await startPlatform();
  alice = await platform.as('alice');
  db = await schemaClient(platform);
  seeded = await pendingBatch(STATS_BATCH_ITEMS);
  await seedStatsBatch(db, seeded, 'alice');
}, 120_000);
afterAll(async () => {
  await db?.end();
  await platform?.close();
});

describe('batchctl stats', () => {
  it('prints the statistics as a summary and tables', async () => {
    expect(await batchctl('stats', seeded)).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        `batch          ${seeded}`,
        'conversations  6',
        'turns          19; per conversation min 2, mean 3.17, max 5',
        'characters     88: user 32, assistant 47, system 9',
        'tokens         19 prompt + 32 completion, from 4 of 6 conversations',
        'duplicates     4 assistant replies repeat an earlier one (2 distinct replies repeated)',
        'empty replies  2',
        'truncated      3',
        'failed items   4',
        '',
        'PERSONA  CONVERSATIONS',
        'teacher  3',
        'bard     1',
        'chef     1',
        'pirate   1',
        '',
        'ERROR CODE            ITEMS',
        'ERR_GEN_REPLY_FORMAT  2',
        'ERR_GEN_TRUNCATED     1',
        'simulated_permanent   1',
        '',
      ].join('\n'),
    });
  });

  it('prints the answer as it came with --json', async () => {
    const run = await batchctl('stats', seeded, '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(seededStats(seeded));
  });

  it('prints the figures alone for a batch with nothing generated yet', async () => {
    const batchId = await pendingBatch([{ id: 'only', topic: 'waits' }]);
    const run = await batchctl('stats', batchId);
    expect(run.stdout).toBe(
      [
        `batch          ${batchId}`,
        'conversations  0',
        'turns          0',
        'characters     0: user 0, assistant 0, system 0',
        'tokens         0 prompt + 0 completion, from 0 of 0 conversations',
        'duplicates     0 assistant replies repeat an earlier one (0 distinct replies repeated)',
        'empty replies  0',
        'truncated      0',
        'failed items   0',
        '',
      ].join('\n'),
    );
    expect(JSON.parse((await batchctl('stats', batchId, '--json')).stdout)).toEqual(emptyStats(batchId));
  });

  it("says another user's or an unknown batch is not found, and exits 1", async () => {
    const bobs = (
      await (
        await platform.as('bob')
      ).call<BatchView>('POST', '/api/v1/batches', {
        items: [{ id: 'x', topic: 'y' }],
        autoStart: false,
      })
    ).body.batch_id;
    for (const batchId of [bobs, 'batch_01unknown'])
      expect(await batchctl('stats', batchId)).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: not_found: batch ${batchId} not found\n`,
      });
    expect((await batchctl('stats')).code).toBe(2);
  });
});
