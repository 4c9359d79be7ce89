import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { gzipSync } from 'node:zlib';
import type { NatsConnection } from '@nats-io/transport-node';
import { SignJWT } from 'jose';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { BackupView, RestoreResult } from '@batch/contracts';
import { createDataSource } from '@batch/persistence';
import {
  call,
  freePort,
  removeNamespace,
  startService,
  testBucket,
  testDatabase,
  type ServiceProcess,
} from '@batch/testing';
import { backupDocument, writeBackup } from '../../apps/backup-service/src/backups/backup-writer.js';
import type { ObjectStore } from '../../apps/backup-service/src/storage/object-store.js';
import { watchCpu, type CpuReport } from './cpu-usage.js';
import { mib, rate, timed, type Figure } from './report.js';
import { peakRssMibOf, rssBytes, sampleRss } from './rss-sampler.js';

/**
 * `BENCH_ONLY=backups`: backup-service and the gateway as processes on a schema and a bucket of their
 * own; BENCH_BACKUP_CONVERSATIONS (100,000) conversations of 5 turns seeded straight into the tables
 * (content ~1 KB of words, turns 200-450 bytes: gzip shrinks it like prose). Measures the backup
 * (`POST /api/v1/backups {batchId}`), the JSON download through the gateway, and the restore of the
 * backup into the user once its conversations are deleted; then where a backup's time goes: the
 * writer in this process with a store that discards (its SQL timed alone), and gzip alone.
 * BENCH_BACKUP_NODE_OPTIONS (e.g. `--import <a profiler preload>`; Node refuses `--cpu-prof` there)
 * profiles the service, which is stopped with SIGTERM so that exit handlers run.
 */
const CONVERSATIONS = Number(process.env.BENCH_BACKUP_CONVERSATIONS ?? 100_000);
const TURNS = 5;
const USER = 'bench-backups';
const BATCH = 'bench-backups-batch';
const SEED_CHUNK = 20_000;
/** How much of the JSON download is kept to time gzip alone on. */
const GZIP_SAMPLE_BYTES = 64 * 2 ** 20;

const mbPerSecond = (bytes: number, ms: number) => Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Words picked by a hash of their place: the same text every run, compressing like prose. */
const WORDS = `the of and to in is that for it as was with be by on not he this are or his from at which
  but have an they you were her she there been one all we their has would when if so no will more
  can about said what up out into them some could then other than these time only may new first
  like over also back after use two how our work well way even because any through down should
  model answer question context detail example result reason system value order point process`
  .split(/\s+/)
  .filter(Boolean);

/** `count` words chosen by hashing `seed` and their index (PostgreSQL text). */
const wordsSql = (seed: string, count: string) =>
  `(SELECT string_agg(w[1 + abs(hashtext(${seed} || ':' || i)) % ${WORDS.length}], ' ')
      FROM generate_series(1, ${count}) i)`;

/**
 * `count` conversations of 5 prose-like turns of the user's batch, straight into the tables, then
 * ANALYZE (as autovacuum would have by the time a batch of that size is done).
 */
export async function seedProse(
  db: pg.Client,
  { userId, batchId, count }: { userId: string; batchId: string; count: number },
): Promise<void> {
  for (let from = 1; from <= count; from += SEED_CHUNK) {
    const to = Math.min(count, from + SEED_CHUNK - 1);
    await db.query(
      `INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at)
       SELECT 'bench-' || g, $4, 'item-' || g, $3, 'topic ' || (g % 500), 'Expert',
              ${wordsSql(`g::text`, '160')}, now() - (g || ' milliseconds')::interval
         FROM (SELECT $5::text[] AS w) words, generate_series($1::int, $2::int) g`,
      [from, to, userId, batchId, WORDS],
    );
    await db.query(
      `INSERT INTO conversation_turns (id, conversation_id, role, content, sequence)
       SELECT 'bench-' || g || '-t' || s, 'bench-' || g,
              CASE WHEN s % 2 = 1 THEN 'user' ELSE 'assistant' END,
              ${wordsSql(`g || '/' || s`, '30 + (g * s) % 40')}, s
         FROM (SELECT $3::text[] AS w) words, generate_series($1::int, $2::int) g,
              generate_series(1, ${TURNS}) s`,
      [from, to, WORDS],
    );
  }
  await db.query('ANALYZE conversations; ANALYZE conversation_turns');
}

/** Reads a response body to its end: its size, and its first `keep` bytes as they came. */
async function drain(
  body: WebReadableStream<Uint8Array>,
  keep = 0,
): Promise<{ bytes: number; kept: Buffer[] }> {
  let bytes = 0;
  const kept: Buffer[] = [];
  await pipeline(
    Readable.fromWeb(body),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (bytes < keep) kept.push(chunk);
        bytes += chunk.length;
        done();
      },
    }),
  );
  return { bytes, kept };
}

/** A store that hashes and drops what it is given: the writer's cost without S3's. */
function discardingStore(): ObjectStore {
  let stored = { sha256: '', sizeBytes: 0 };
  return {
    bucket: 'discard',
    put: async (_key, body) => {
      const hash = createHash('sha256');
      let sizeBytes = 0;
      for await (const chunk of body) {
        hash.update(chunk as Buffer);
        sizeBytes += (chunk as Buffer).length;
      }
      stored = { sha256: hash.digest('hex'), sizeBytes };
    },
    open: () => Promise.reject(new Error('a discarding store keeps nothing')),
    digest: async () => stored,
    remove: async () => undefined,
    presign: () => Promise.reject(new Error('a discarding store keeps nothing')),
  };
}

/**
 * The writer in this process with a store that discards: its whole time; then its document alone
 * (PostgreSQL's JSON pages read through COPY, no gzip), on a connection of this process.
 */
async function writerAlone(
  ds: DataSource,
  database: { url: string; schema: string },
  pageSize: number,
): Promise<{ totalMs: number; documentMs: number }> {
  const request = {
    userId: USER,
    key: 'discarded',
    selection: { kind: 'batch', batchId: BATCH } as const,
    reason: 'bench',
    createdAt: new Date(),
    pageSize,
  };
  const total = await timed(() => writeBackup(ds, discardingStore(), request));
  const db = new pg.Client({ connectionString: database.url, options: `-c search_path=${database.schema}` });
  await db.connect();
  try {
    const document = await timed(() =>
      pipeline(
        Readable.from(backupDocument(db, request).bytes),
        new Writable({ write: (_chunk, _encoding, done) => done() }),
      ),
    );
    return { totalMs: total.ms, documentMs: document.ms };
  } finally {
    await db.end();
  }
}

/** gzip of the sample at a level, on one core (what the writer's gzip stream does). */
function gzipAlone(sample: Buffer, level: number): { mbPerSecond: number; ratio: number } {
  const started = performance.now();
  const compressed = gzipSync(sample, { level });
  return {
    mbPerSecond: mbPerSecond(sample.length, performance.now() - started),
    ratio: Math.round((sample.length / compressed.length) * 10) / 10,
  };
}

const cpuNote = (cpu: CpuReport & { benchCores: number }) =>
  `cores: backup-service ${cpu.cores[0]}, gateway ${cpu.cores[1]}, PostgreSQL + NATS ${cpu.serversCores}, ` +
  `this process (s3rver) ${cpu.benchCores}, others ${cpu.othersCores}; machine ${Math.round(cpu.machineBusy * 100)}% busy`;

export async function backupsBench(
  nc: NatsConnection,
  parentNamespace: string,
  natsUrl: string,
): Promise<Figure[]> {
  const namespace = `${parentNamespace}_backups`;
  const database = await testDatabase();
  const bucket = await testBucket();
  const secret = randomBytes(32).toString('hex');
  const port = await freePort();
  const env = {
    NATS_URL: natsUrl,
    NATS_NAMESPACE: namespace,
    DATABASE_URL: database.url,
    DATABASE_SCHEMA: database.schema,
    LOG_LEVEL: 'info',
  };
  const services: ServiceProcess[] = [];
  const db = new pg.Client({ connectionString: database.url, options: `-c search_path=${database.schema}` });
  let ds: DataSource | undefined;
  try {
    const backupService = await startService('backup-service', {
      ...env,
      S3_ENDPOINT: bucket.endpoint,
      S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? '',
      S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? '',
      S3_BUCKET: bucket.bucket,
      ...(process.env.BENCH_BACKUP_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_BACKUP_NODE_OPTIONS }
        : {}),
    });
    services.push(backupService);
    const gateway = await startService('notification-gateway', {
      ...env,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      AUTH_JWT_SECRET: secret,
    });
    services.push(gateway);
    const baseUrl = `http://127.0.0.1:${port}`;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(USER)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(secret));
    const authorization = { authorization: `Bearer ${token}` };

    await db.connect();
    const seeded = await timed(() => seedProse(db, { userId: USER, batchId: BATCH, count: CONVERSATIONS }));
    const rows = CONVERSATIONS * (1 + TURNS);
    const pid = backupService.child.pid!;
    const pids = [pid, gateway.child.pid!];

    const rssAtRest = mib(rssBytes(pid));
    const sampler = sampleRss(pid, { intervalMs: 100 });
    const backupCpu = watchCpu(pids);
    const backup = await timed(() =>
      call<BackupView>(baseUrl, token, 'POST', '/api/v1/backups', { batchId: BATCH, reason: 'bench' }),
    );
    const backupCores = backupCpu.stop();
    const sampled = sampler.stop();
    if (backup.result.status !== 201 || backup.result.body.conversation_count !== CONVERSATIONS)
      throw new Error(`backup: ${backup.result.status} ${JSON.stringify(backup.result.body).slice(0, 500)}`);
    const view = backup.result.body;

    const downloadCpu = watchCpu(pids);
    const json = await timed(async () => {
      const response = await fetch(`${baseUrl}/api/backup/download/${view.backup_id}`, {
        headers: authorization,
      });
      return drain(response.body as WebReadableStream<Uint8Array>, GZIP_SAMPLE_BYTES);
    });
    const downloadCores = downloadCpu.stop();
    const gzip = await timed(async () => {
      const response = await fetch(`${baseUrl}/api/v1/backups/${view.backup_id}/download`, {
        headers: authorization,
      });
      return drain(response.body as WebReadableStream<Uint8Array>);
    });
    const jsonBytes = json.result.bytes;

    ds = await createDataSource({ url: database.url, schema: database.schema });
    const writer = await writerAlone(ds, database, 1_000);
    const sample = Buffer.concat(json.result.kept);

    await db.query('DELETE FROM conversations WHERE user_id = $1', [USER]);
    const restoreCpu = watchCpu(pids);
    const restore = await timed(() =>
      call<RestoreResult>(baseUrl, token, 'POST', `/api/v1/backups/${view.backup_id}/restore?wait=true`),
    );
    const restoreCores = restoreCpu.stop();
    if (
      restore.result.status !== 200 ||
      !restore.result.body.success ||
      restore.result.body.processed !== rows
    )
      throw new Error(
        `restore: ${restore.result.status} ${JSON.stringify(restore.result.body).slice(0, 500)}`,
      );

    return [
      {
        name: 'seeded',
        value: rows,
        unit: 'rows',
        note: `${CONVERSATIONS.toLocaleString('en-US')} conversations × ${TURNS} turns in ${seconds(seeded.ms)}`,
      },
      {
        name: 'backup (POST /api/v1/backups {batchId})',
        value: mbPerSecond(jsonBytes, backup.ms),
        unit: 'MB/s of JSON',
        note: `${mib(jsonBytes)} MiB of JSON in ${seconds(backup.ms)}; ${cpuNote(backupCores)} (the backup's own PostgreSQL connection closes before the window ends: its CPU shows in the machine's share only)`,
      },
      {
        name: 'backup object (gzip -1)',
        value: mib(view.size_bytes!),
        unit: 'MiB',
        note: `${Math.round((jsonBytes / view.size_bytes!) * 10) / 10}× smaller than the JSON`,
      },
      {
        name: 'backup-service RSS during the backup, at most',
        value: sampled.peakMib,
        unit: 'MiB',
        note: `${rssAtRest} MiB at rest before it; VmHWM since start ${peakRssMibOf(pid)} MiB`,
      },
      {
        name: 'download, JSON (GET /api/backup/download/:id)',
        value: mbPerSecond(jsonBytes, json.ms),
        unit: 'MB/s of JSON',
        note: `${seconds(json.ms)}, gunzipped by the gateway; ${cpuNote(downloadCores)}`,
      },
      {
        name: 'download, gzip (GET /api/v1/backups/:id/download)',
        value: mbPerSecond(gzip.result.bytes, gzip.ms),
        unit: 'MB/s of gzip',
        note: `${seconds(gzip.ms)}`,
      },
      {
        name: 'writer in this process, discarding store',
        value: mbPerSecond(jsonBytes, writer.totalMs),
        unit: 'MB/s of JSON',
        note: `${seconds(writer.totalMs)}: no upload, no read-back; pages of 1,000`,
      },
      {
        name: "its document alone (PostgreSQL's JSON through COPY, no gzip)",
        value: mbPerSecond(jsonBytes, writer.documentMs),
        unit: 'MB/s of JSON',
        note: `${seconds(writer.documentMs)}, against the writer's ${seconds(writer.totalMs)}`,
      },
      ...[1, 4, 6].map((level) => {
        const gzipped = gzipAlone(sample, level);
        return {
          name: `gzip -${level} alone, one core`,
          value: gzipped.mbPerSecond,
          unit: 'MB/s of JSON',
          note: `${gzipped.ratio}× smaller; the first ${mib(sample.length)} MiB of the download${level === 1 ? " (the writer's level)" : ''}`,
        };
      }),
      {
        name: 'restore (POST /api/v1/backups/:id/restore?wait=true)',
        value: rate(rows, restore.ms),
        unit: 'rows/s',
        note: `${rows.toLocaleString('en-US')} rows in ${seconds(restore.ms)}, into the user once its conversations were deleted (target 50,000); ${cpuNote(restoreCores)} (the restore's own PostgreSQL connections close before the window ends: their CPU shows in the machine's share only)`,
      },
    ];
  } finally {
    await ds?.destroy();
    await db.end().catch(() => undefined);
    await Promise.all(services.map((service) => service.stop()));
    await bucket.close().catch(() => undefined);
    await database.close();
    await removeNamespace(nc, namespace);
  }
}
