import { Worker } from 'bullmq';
import pg from 'pg';
import { runPeerJob, type PeerJobData } from './peer-job.js';

/**
 * A BullMQ worker process of the peer bench (spawned by peer.bench.ts with an IPC channel). It says
 * `ready` once connected, and on `report` stops and answers with what it saw of its jobs.
 */
export interface PeerWorkerReport {
  type: 'report';
  completed: number;
  failed: number;
  firstError?: string;
  /** Per job: added (job.timestamp) to finished, and taken by this worker to finished, in ms. */
  latencies: number[];
  runTimes: number[];
  /** Epoch ms at which its last job finished. */
  lastFinishedOn: number;
}

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.PEER_POOL_SIZE),
  options: `-c search_path=${env.DATABASE_SCHEMA}`,
  // The bench finds this worker's PostgreSQL backends by it, to count their CPU.
  application_name: env.PEER_QUEUE,
});
const report: PeerWorkerReport = {
  type: 'report',
  completed: 0,
  failed: 0,
  latencies: [],
  runTimes: [],
  lastFinishedOn: 0,
};

const worker = new Worker<PeerJobData, string>(env.PEER_QUEUE!, (job) => runPeerJob(pool, job.data), {
  connection: { url: env.REDIS_URL, maxRetriesPerRequest: null },
  concurrency: Number(env.PEER_CONCURRENCY),
});
worker.on('completed', (job) => {
  const finishedOn = job.finishedOn ?? Date.now();
  report.completed++;
  report.latencies.push(finishedOn - job.timestamp);
  report.runTimes.push(finishedOn - (job.processedOn ?? finishedOn));
  report.lastFinishedOn = Math.max(report.lastFinishedOn, finishedOn);
});
worker.on('failed', (_job, error) => {
  report.failed++;
  report.firstError ??= error.message;
});
worker.on('error', (error) => console.error(`peer worker ${process.pid}:`, error));

process.on('message', (message: { type: string }) => {
  if (message.type !== 'report') return;
  void (async () => {
    await worker.close();
    await pool.end();
    process.send!(report, () => process.exit(0));
  })();
});

await worker.waitUntilReady();
await pool.query('SELECT 1');
process.send!({ type: 'ready' });
