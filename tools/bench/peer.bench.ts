import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createDataSource, runMigrations } from '@batch/persistence';
import { testDatabase, uniqueNamespace, type TestDatabase } from '@batch/testing';
import { cpuSeconds, watchCpu } from './cpu-usage.js';
import type { PeerJobData } from './peer-job.js';
import { startWorker, type PeerWorker } from './peer-worker-process.js';
import { mib, rate, type Figure } from './report.js';
import { peakRssMibOf } from './rss-sampler.js';

const BATCH_ID = 'bench_peer';
const USER_ID = 'bench';
const WORKERS = 2;
/** Best of 8 / 16 / 32 / 64 per worker on this machine, within the runs' spread (README: Peer: BullMQ). */
const DEFAULT_CONCURRENCY = 16;
/** PostgreSQL connections per worker process, as many as our worker's pool (pg's default 10). */
const MAX_POOL = 10;
const ENQUEUE_CHUNK = 1_000;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** The `batches` row and `batch_items` rows our projector writes for the engine bench's batch. */
async function seedBatch(database: TestDatabase, size: number): Promise<void> {
  const ds = await createDataSource({ url: database.url, schema: database.schema, poolSize: 2 });
  try {
    await runMigrations(ds);
    await ds.query(
      `INSERT INTO batches (batch_id, user_id, status, declared_items, items_added, total_items, pending_count,
                            config, created_at, started_at, last_checkpoint_at)
       VALUES ($1, $2, 'running', $3, $3, $3, $3, '{"provider":"template"}', now(), now(), now())`,
      [BATCH_ID, USER_ID, size],
    );
    await ds.query(
      `INSERT INTO batch_items (batch_id, item_id, position, topic, status, attempt, updated_at)
       SELECT $1, 'item-' || n, n, 'conversation topic ' || n, 'pending', 1, now()
       FROM generate_series(0, $2::int - 1) AS n`,
      [BATCH_ID, size],
    );
    // As autovacuum would soon: without statistics the planner finds an item through the
    // (batch_id, status) index, walking every pending item for each update.
    await ds.query('ANALYZE batches, batch_items');
  } finally {
    await ds.destroy();
  }
}

const pidsNamed = (name: string): number[] =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);

const usedMemory = async (redis: Redis) =>
  Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);

/** CPU seconds used so far by the PostgreSQL backends of the workers' connections. */
async function backendCpuSeconds(database: TestDatabase, applicationName: string): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    return rows.reduce((sum, row) => sum + cpuSeconds(row.pid), 0);
  } finally {
    await client.end();
  }
}

/** Waits (polling, as a bench may) until no job of the queue is waiting, delayed or active. */
async function drained(queue: Queue): Promise<void> {
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
    if (counts.failed! > 0) throw new Error(`peer: ${counts.failed} jobs failed`);
    if (Object.values(counts).every((count) => count === 0)) return;
    await sleep(200);
  }
}

/**
 * `npm run bench` right after the engine section, or BENCH_ONLY=peer: the engine bench's workload
 * (BENCH_PEER_ITEMS, default BENCH_ITEMS, 100,000 items, template provider) on BullMQ with Redis, two worker processes
 * doing our worker's PostgreSQL work per job (peer-job.ts) on a schema made by our migrations.
 * Timed from the first `addBulk` to the last job's `finishedOn`. Without Redis at REDIS_URL
 * (default 127.0.0.1:6379), it says so and returns nothing.
 */
export async function peerBench(engineItemsPerSecond?: number): Promise<Figure[] | undefined> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let refused: Error | undefined;
  redis.on('error', (error: Error) => (refused ??= error)); // told below
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    console.log(`\npeer skipped: no Redis at ${redisUrl} (${(refused ?? (error as Error)).message})`);
    return undefined;
  }

  const size = Number(process.env.BENCH_PEER_ITEMS ?? process.env.BENCH_ITEMS ?? 100_000);
  const concurrency = Number(process.env.BENCH_PEER_CONCURRENCY ?? DEFAULT_CONCURRENCY);
  const poolSize = Number(process.env.BENCH_PEER_POOL ?? Math.min(concurrency, MAX_POOL));
  const database = await testDatabase();
  const queueName = uniqueNamespace('bench-peer-');
  const queue = new Queue<PeerJobData, string>(queueName, {
    connection: { url: redisUrl },
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 1_000 },
  });
  const workers: PeerWorker[] = [];
  try {
    await seedBatch(database, size);
    const env = {
      REDIS_URL: redisUrl,
      PEER_QUEUE: queueName,
      PEER_CONCURRENCY: String(concurrency),
      PEER_POOL_SIZE: String(poolSize),
      DATABASE_URL: database.url,
      DATABASE_SCHEMA: database.schema,
    };
    for (let index = 0; index < WORKERS; index++) workers.push(await startWorker(env));
    await queue.waitUntilReady();
    const pids = workers.map((worker) => worker.child.pid!);
    const redisPids = pidsNamed('redis-server');
    const redisCpuBefore = redisPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const cpu = watchCpu(pids);

    const startedAt = Date.now();
    for (let first = 0; first < size; first += ENQUEUE_CHUNK)
      await queue.addBulk(
        Array.from({ length: Math.min(ENQUEUE_CHUNK, size - first) }, (_, offset) => {
          const index = first + offset;
          const data = {
            batchId: BATCH_ID,
            userId: USER_ID,
            itemId: `item-${index}`,
            index,
            topic: `conversation topic ${index}`,
          };
          return { name: 'generate', data };
        }),
      );
    const enqueuedAt = Date.now();
    const redisBytesAfterEnqueue = await usedMemory(redis);
    await drained(queue);
    const usage = cpu.stop();
    const redisCores =
      (redisPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - redisCpuBefore) /
      ((Date.now() - startedAt) / 1000);
    const peakRss = Math.max(...pids.map(peakRssMibOf));
    const backendCpu = await backendCpuSeconds(database, queueName);
    const reports = await Promise.all(workers.map((worker) => worker.report()));
    workers.length = 0;

    const completed = reports.reduce((sum, report) => sum + report.completed, 0);
    const failed = reports.reduce((sum, report) => sum + report.failed, 0);
    if (failed > 0 || completed !== size)
      throw new Error(
        `peer: ${completed} of ${size} jobs completed, ${failed} failed (${reports[0]?.firstError})`,
      );
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client
      .query<{ items: number; conversations: number; turns: number }>(
        `SELECT (SELECT count(*) FROM "${database.schema}".batch_items WHERE status = 'completed')::int AS items,
                (SELECT count(*) FROM "${database.schema}".conversations)::int AS conversations,
                (SELECT count(*) FROM "${database.schema}".conversation_turns)::int AS turns`,
      )
      .finally(() => client.end());
    const stored = rows[0]!;
    if (stored.items !== size || stored.conversations !== size)
      throw new Error(
        `peer: ${stored.items} items completed and ${stored.conversations} conversations stored`,
      );

    const elapsed = Math.max(...reports.map((report) => report.lastFinishedOn)) - startedAt;
    const itemsPerSecond = rate(size, elapsed);
    const latencies = reports.flatMap((report) => report.latencies).sort((a, b) => a - b);
    const runTimes = reports.flatMap((report) => report.runTimes).sort((a, b) => a - b);
    const figures: Figure[] = [
      {
        name: `${size.toLocaleString('en-US')} items end to end, ${WORKERS} workers`,
        value: itemsPerSecond,
        unit: 'items/s',
        note: `${(elapsed / 1000).toFixed(1)} s, concurrency ${concurrency} per worker, ${poolSize} PostgreSQL connections each`,
      },
      {
        name: `enqueue (addBulk, ${ENQUEUE_CHUNK.toLocaleString('en-US')} jobs per call)`,
        value: enqueuedAt - startedAt,
        unit: 'ms',
        note: `${rate(size, enqueuedAt - startedAt).toLocaleString('en-US')} jobs/s, workers already running`,
      },
      {
        name: 'job latency p50 / p99 (added to finished)',
        value: percentile(latencies, 50),
        unit: 'ms',
        note: `p99 ${percentile(latencies, 99).toLocaleString('en-US')} ms; every job is queued at once`,
      },
      {
        name: 'job run time p50 / p99 (taken to finished)',
        value: percentile(runTimes, 50),
        unit: 'ms',
        note: `p99 ${percentile(runTimes, 99).toLocaleString('en-US')} ms`,
      },
      { name: 'peak RSS worker (each)', value: peakRss, unit: 'MiB' },
      {
        name: 'Redis memory after the enqueue',
        value: mib(redisBytesAfterEnqueue),
        unit: 'MiB',
        note: 'used_memory of the whole server; completed jobs are removed',
      },
      {
        name: "PostgreSQL CPU per item (the workers' backends)",
        value: Math.round((backendCpu / size) * 1e6) / 1e3,
        unit: 'ms',
        note: `${(backendCpu / (elapsed / 1000)).toFixed(2)} cores over the run; WAL writer and checkpoints not counted`,
      },
      {
        name: 'CPU of the two workers',
        value: Math.round(usage.cores.reduce((sum, cores) => sum + cores, 0) * 100) / 100,
        unit: 'cores',
        note: `Redis ${redisCores.toFixed(2)}, PostgreSQL+NATS ${usage.serversCores}, others ${usage.othersCores}, machine ${Math.round(usage.machineBusy * 100)}% busy`,
      },
    ];
    if (engineItemsPerSecond !== undefined) {
      const ratio = Math.round((engineItemsPerSecond / itemsPerSecond) * 100) / 100;
      figures.push({
        name: 'ratio ours / BullMQ',
        value: ratio,
        unit: '×',
        note: `${engineItemsPerSecond.toLocaleString('en-US')} / ${itemsPerSecond.toLocaleString('en-US')} items/s`,
      });
    }
    return figures;
  } finally {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.child.exitCode !== null || worker.child.signalCode !== null) return resolve();
            worker.child.once('exit', () => resolve());
            worker.child.kill('SIGKILL');
          }),
      ),
    );
    await queue
      .obliterate({ force: true })
      .catch((error: unknown) => console.error('peer: obliterate', error));
    await queue.close();
    redis.disconnect();
    await database.close();
  }
}
