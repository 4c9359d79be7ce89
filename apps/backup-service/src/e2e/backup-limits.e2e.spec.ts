import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JSONParser } from '@streamparser/json';
import type pg from 'pg';
import type { BackupView } from '@batch/contracts';
import {
  type Caller,
  peakRss,
  type Platform,
  type RunningServer,
  schemaClient,
  seedConversations,
  type ServiceProcess,
  startPlatform,
} from '@batch/testing';
import { backupOnPrivateS3, watchBackupFacts } from './backup-fixtures.js';

/**
 * Left alone, V8 lets garbage grow the heap by hundreds of MB before it collects (the 200 MB backup
 * below: +120 to +180 MB of RSS without a limit). The service gets a heap smaller than the document,
 * as a container would give it: its RSS then shows what the writer holds, and a writer holding the
 * document dies.
 */
const HEAP_LIMIT = '--max-old-space-size=96';

let platform: Platform;
let db: pg.Client;

beforeAll(async () => {
  platform = await startPlatform({}, {}, { backups: true, backupEnv: { NODE_OPTIONS: HEAP_LIMIT } });
  db = await schemaClient(platform);
}, 120_000);
afterAll(async () => {
  await db?.end();
  await platform?.close();
});

const MB = 1024 * 1024;

/**
 * Resets the process's peak RSS (VmHWM) to its current RSS and returns it: the peak reached while
 * the service started (loading its code) would otherwise hide what a backup adds.
 */
function resetPeakRss(pid: number): number {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return peakRss(pid);
}

interface ReadBackup {
  sha256: string;
  gzipBytes: number;
  jsonBytes: number;
  conversationIds: string[];
}

/** Hashes the gzip as it arrives and parses the JSON inside as a stream, a conversation at a time. */
async function readBackup(body: WebReadableStream<Uint8Array>): Promise<ReadBackup> {
  const hash = createHash('sha256');
  const read: ReadBackup = { sha256: '', gzipBytes: 0, jsonBytes: 0, conversationIds: [] };
  const parser = new JSONParser({ paths: ['$.conversations.*'], keepStack: false });
  parser.onValue = ({ value }) => read.conversationIds.push((value as { id: string }).id);
  await pipeline(
    Readable.fromWeb(body),
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        read.gzipBytes += chunk.length;
        done(null, chunk);
      },
    }),
    createGunzip(),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        read.jsonBytes += chunk.length;
        parser.write(chunk);
        done();
      },
      // The parser ends itself once the document is whole: one that has not was cut short.
      final(done) {
        done(parser.isEnded ? null : new Error('the backup JSON ended before the document did'));
      },
    }),
  );
  read.sha256 = hash.digest('hex');
  return read;
}

/** The conversations and turns a user has. */
async function rowsOf(userId: string): Promise<{ conversations: number; turns: number }> {
  const { rows } = await db.query<{ conversations: number; turns: number }>(
    `SELECT (SELECT count(*)::int FROM conversations WHERE user_id = $1) AS conversations,
            (SELECT count(*)::int FROM conversation_turns t JOIN conversations c ON c.id = t.conversation_id
              WHERE c.user_id = $1) AS turns`,
    [userId],
  );
  return rows[0]!;
}

/** The answer, unless the service dies first: the gateway would wait out its timeout for it. */
function unlessExited<T>(service: ServiceProcess, answer: Promise<T>): Promise<T> {
  const exited = new Promise<never>((_resolve, reject) =>
    service.child.once('exit', (code, signal) =>
      reject(new Error(`backup-service exited (${code ?? signal}):\n${service.lines.slice(-20).join('\n')}`)),
    ),
  );
  return Promise.race([answer, exited]);
}

describe('a backup of 20,000 conversations (about 200 MB of JSON)', () => {
  const count = 20_000;
  let alice: Caller;

  beforeAll(async () => {
    alice = await platform.as('alice');
    await seedConversations(db, { userId: 'alice', prefix: 'big', count, turnBytes: 2_000 });
  }, 300_000);

  /** Backs the batch up, reads the download back whole (as a stream), and checks it is the object. */
  async function backUpAndRead(): Promise<{ growth: number; read: ReadBackup }> {
    const service = platform.backup!;
    const pid = service.child.pid!;
    const rssBefore = resetPeakRss(pid);
    const created = await unlessExited(
      service,
      alice.call<BackupView>('POST', '/api/v1/backups', { batchId: 'big-batch' }),
    );
    const growth = peakRss(pid) - rssBefore;
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'ready', conversation_count: count });

    const response = await fetch(`${platform.baseUrl}/api/v1/backups/${created.body.backup_id}/download`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(response.status).toBe(200);
    const read = await readBackup(response.body as WebReadableStream<Uint8Array>);
    console.log(
      `backup of ${count} conversations: ${(read.jsonBytes / MB).toFixed(1)} MB of JSON, ` +
        `${(read.gzipBytes / MB).toFixed(1)} MB of gzip; backup-service RSS ${(rssBefore / MB).toFixed(1)} MB ` +
        `before, peak ${((rssBefore + growth) / MB).toFixed(1)} MB (+${(growth / MB).toFixed(1)} MB)`,
    );
    expect(read.sha256).toBe(response.headers.get('x-backup-sha256'));
    expect(read.sha256).toBe(created.body.sha256);
    expect(read.gzipBytes).toBe(created.body.size_bytes);
    expect(read.conversationIds).toHaveLength(count);
    expect(new Set(read.conversationIds).size).toBe(count);
    expect(read.jsonBytes).toBeGreaterThan(190 * MB);
    return { growth, read };
  }

  it("streams with a heap smaller than the document: the service's memory grows by far less than it", async () => {
    const { growth, read } = await backUpAndRead();
    // A page and two upload parts are far less than the document.
    expect(growth).toBeLessThan(read.jsonBytes / 3);
  }, 600_000);
});

describe('S3 stopping in the middle of a backup', () => {
  const bucket = 'private-backups';
  let s3: RunningServer | undefined;
  let carol: Caller;

  beforeAll(async () => {
    carol = await platform.as('carol');
    // About 50 MB of JSON whose turns are hex digests (gzip halves them at best): several 5 MB parts.
    await seedConversations(db, { userId: 'carol', prefix: 'cut', count: 5_000 });
    await db.query(
      `UPDATE conversation_turns t
          SET content = (SELECT string_agg(md5(t.id || '/' || i), '') FROM generate_series(1, 63) i)
         FROM conversations c WHERE c.id = t.conversation_id AND c.user_id = 'carol'`,
    );
    s3 = await backupOnPrivateS3(platform, bucket, { S3_PART_SIZE_MB: '5' });
  }, 300_000);
  afterAll(async () => {
    await s3?.stop();
    await platform.backup!.stop();
    await platform.restartBackup();
  }, 60_000);

  it('fails the backup: a 503 saying so, the row and a fact `failed`, and every conversation kept', async () => {
    const rowsBefore = await rowsOf('carol');
    const watch = watchBackupFacts(platform);
    const firstPage = watch.until(
      (fact) => fact.userId === 'carol' && fact.status === 'running' && fact.processed > 0,
    );
    await platform.nats.nc.flush(); // the subscriptions are in place on the server
    const answer = carol.call<{ error: { code: string; message: string } }>('POST', '/api/v1/backups', {
      batchId: 'cut-batch',
    });
    const service = platform.backup!;
    // After the first page (some 11 MB of JSON through gzip) the first part is cut: S3 stops mid-upload.
    await unlessExited(service, firstPage);
    const stopping = s3!.stop();
    s3 = undefined;
    const failed = await unlessExited(service, answer);
    await stopping;
    await platform.nats.nc.flush();
    watch.close();

    expect(failed.status).toBe(503);
    expect(failed.body.error.message).toMatch(/^backup creation failed/);
    const mine = watch.facts.filter((fact) => fact.userId === 'carol');
    expect(mine.at(-1)).toMatchObject({ kind: 'backup', status: 'failed' });
    const view = await carol.call<BackupView>('GET', `/api/v1/backups/${mine.at(-1)!.id}`);
    expect(view.body).toMatchObject({ status: 'failed' });
    expect(await rowsOf('carol')).toEqual(rowsBefore);
    expect(rowsBefore).toEqual({ conversations: 5_000, turns: 25_000 });
  }, 300_000);
});
