import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DuckDBInstance } from '@duckdb/node-api';
import type pg from 'pg';
import type { BatchView } from '@batch/contracts';
import {
  peakRss,
  schemaClient,
  seedConversations,
  startPlatform,
  type Caller,
  type Platform,
} from '@batch/testing';

/**
 * A gateway whose heap cannot hold the export: were the file built in memory, it would die. The
 * limit leaves the gateway's own heap room for a few row groups (4 MiB of text each).
 */
const HEAP_LIMIT = '--max-old-space-size=110';
const COUNT = 100_000;
const TURN_BYTES = 400;
const MB = 1024 * 1024;

let platform: Platform;
let gateway: { baseUrl: string; pid: number };
let db: pg.Client;
let scratch: string;
let alice: Caller;

beforeAll(async () => {
  platform = await startPlatform();
  const limited = await platform.gateway({ NODE_OPTIONS: HEAP_LIMIT });
  gateway = { baseUrl: limited.baseUrl, pid: limited.process.child.pid! };
  alice = await platform.as('alice', limited.baseUrl);
  db = await schemaClient(platform);
  scratch = await mkdtemp(join(tmpdir(), 'export-limits-'));
}, 120_000);
afterAll(async () => {
  await db?.end();
  await rm(scratch, { recursive: true, force: true });
  await platform?.close();
});

/** Resets the process's peak RSS to its current RSS (the start-up peak would hide the export's). */
function resetPeakRss(pid: number): number {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return peakRss(pid);
}

describe(`a Parquet export of ${COUNT.toLocaleString('en')} conversations`, () => {
  it("streams in bounded memory: the gateway's RSS grows far less than the file's text", async () => {
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      name: 'large export',
      items: [{ id: 'seed', topic: 'the batch the seeded conversations belong to' }],
      autoStart: false,
    });
    const batchId = created.body.batch_id;
    await seedConversations(db, {
      userId: 'alice',
      prefix: 'big',
      count: COUNT,
      turnBytes: TURN_BYTES,
      batchId,
    });
    const textBytes = COUNT * 5 * TURN_BYTES;

    const rssBefore = resetPeakRss(gateway.pid);
    const started = performance.now();
    const response = await fetch(`${gateway.baseUrl}/api/v1/batches/${batchId}/results?format=parquet`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(response.status).toBe(200);
    const file = join(scratch, 'big.parquet');
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(file));
    const seconds = (performance.now() - started) / 1000;
    const growth = peakRss(gateway.pid) - rssBefore;

    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const summary = await connection.runAndReadAll(
      `SELECT count(*) AS conversations, count(DISTINCT item_id) AS items, sum(len(messages)) AS turns,
              sum((SELECT sum(strlen(m.content)) FROM unnest(messages) AS u(m))) AS characters
         FROM read_parquet('${file}')`,
    );
    connection.closeSync();
    duck.closeSync();
    console.log(
      `Parquet export of ${COUNT} conversations (${(textBytes / MB).toFixed(0)} MB of turn text) in ` +
        `${seconds.toFixed(1)} s (${Math.round(COUNT / seconds)} conversations/s); gateway RSS ` +
        `${(rssBefore / MB).toFixed(0)} MB before, +${(growth / MB).toFixed(0)} MB at most`,
    );
    expect(summary.getRowObjectsJson()).toEqual([
      {
        conversations: String(COUNT),
        items: String(COUNT),
        turns: String(COUNT * 5),
        characters: String(textBytes),
      },
    ]);
    expect(growth).toBeLessThan(textBytes / 2);
  }, 300_000);
});
