import { readFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import { chunkItems, names as namesFor, type BatchEvent, type ItemSpec } from '@batch/contracts';
import { request } from '@batch/messaging';
import {
  startOtlpReceiver,
  startService,
  testDatabase,
  type OtlpReceiver,
  type ServiceProcess,
  type TestDatabase,
} from '@batch/testing';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { mib, peakRssMib, rate, type Figure } from './report.js';
import { sampleRss } from './rss-sampler.js';
import { nodeArgsOf, SERVICES, type ServiceName } from '../start/services.js';

const peakRssOf = (service: ServiceProcess): number => {
  const status = readFileSync(`/proc/${service.child.pid}/status`, 'utf8');
  return mib(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) * 1024);
};

/** A service's heap limit as `npm start` runs it (compose and Kubernetes set the same). */
const nodeOptionsOf = (name: ServiceName): string =>
  nodeArgsOf(SERVICES.find((service) => service.name === name)!).join(' ');
const ORCHESTRATOR_NODE_OPTIONS = nodeOptionsOf('orchestrator');
const WORKER_NODE_OPTIONS = nodeOptionsOf('worker');

/** RSS samples (MiB) at a quarter, half, three quarters and the end of a run. */
const overTheRun = (series: number[]): string =>
  [0.25, 0.5, 0.75, 1]
    .map((share) => series[Math.min(series.length - 1, Math.floor((series.length - 1) * share))]!)
    .join(' / ');

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

async function command(nc: NatsConnection, subject: string, payload: unknown): Promise<unknown> {
  const reply = await request(nc, subject, payload, 120_000);
  if (!reply.ok) throw new Error(`${subject}: ${reply.error.code} ${reply.error.message}`);
  return reply.result;
}

/** Creates a batch over several requests (a request carries at most ~1 MiB) and starts it. */
async function createLargeBatch(
  nc: NatsConnection,
  namespace: string,
  batchId: string,
  items: ItemSpec[],
  config: object,
) {
  const names = namesFor(namespace);
  const [first, ...rest] = chunkItems(items, 900 * 1024);
  const owned = { userId: 'bench', batchId };
  await command(nc, names.command('create'), {
    ...owned,
    items: first,
    totalItems: items.length,
    autoStart: false,
    config,
  });
  for (const chunk of rest) await command(nc, names.command('add-items'), { ...owned, items: chunk });
  await command(nc, names.command('start'), owned);
}

interface Watch {
  firstCompletedAt?: number;
  firstCompleted: Promise<void>;
  firstDispatchedAt?: number;
  firstDispatched: Promise<void>;
  endedAt?: number;
  dispatchedAt: Map<string, number>;
  latencies: number[];
  done: Promise<void>;
}

/** Sees dispatches (work subjects) and outcomes (event subjects) as they are published. */
function watch(nc: NatsConnection, namespace: string, batchId: string): Watch {
  const names = namesFor(namespace);
  let completed!: () => void;
  let dispatched!: () => void;
  const state: Watch = {
    dispatchedAt: new Map(),
    latencies: [],
    done: Promise.resolve(),
    firstCompleted: new Promise<void>((resolve) => (completed = resolve)),
    firstDispatched: new Promise<void>((resolve) => (dispatched = resolve)),
  };
  nc.subscribe(names.work(batchId), {
    callback: (_error, message) => {
      const now = performance.now();
      state.firstDispatchedAt ??= now;
      dispatched();
      for (const item of (message.json() as { items: { id: string }[] }).items)
        state.dispatchedAt.set(item.id, now);
    },
  });
  state.done = new Promise<void>((resolve) => {
    nc.subscribe(names.batchEvents(batchId), {
      callback: (_error, message) => {
        const now = performance.now();
        for (const event of message.json() as BatchEvent[]) {
          if (event.type === 'ItemCompleted') {
            state.firstCompletedAt ??= now;
            completed();
            const dispatched = state.dispatchedAt.get(event.data.itemId);
            if (dispatched !== undefined) state.latencies.push(now - dispatched);
          }
          if (event.type === 'BatchCompleted' || event.type === 'BatchFailed') {
            state.endedAt = now;
            resolve();
          }
        }
      },
    });
  });
  return state;
}

/** Polls the read model (a bench may; tests wait for events) until the batch shows the status. */
async function untilStatus(database: TestDatabase, batchId: string, status: string): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query(
        `SELECT status FROM "${database.schema}".batches WHERE batch_id = $1`,
        [batchId],
      );
      if (rows[0]?.status === status) return;
      await sleep(200);
    }
  } finally {
    await client.end();
  }
}

export async function engineBench(nc: NatsConnection, namespace: string, natsUrl: string): Promise<Figure[]> {
  const database = await testDatabase();
  // BENCH_TRACING=1: every service exports its spans (OTLP/HTTP) to a receiver in this process.
  const receiver: OtlpReceiver | undefined = process.env.BENCH_TRACING
    ? await startOtlpReceiver()
    : undefined;
  const env = {
    NATS_URL: natsUrl,
    NATS_NAMESPACE: namespace,
    DATABASE_URL: database.url,
    DATABASE_SCHEMA: database.schema,
    LOG_LEVEL: 'info',
    ...(receiver
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }
      : {}),
  };
  const services: ServiceProcess[] = [];
  const figures: Figure[] = [];
  try {
    const orchestrator = await startService('batch-orchestrator', {
      ...env,
      NODE_OPTIONS: ORCHESTRATOR_NODE_OPTIONS,
      ORCHESTRATOR_REPLICA_ID: 'bench-a',
    });
    services.push(orchestrator);
    const workers = await Promise.all([
      startService('generation-worker', { ...env, NODE_OPTIONS: WORKER_NODE_OPTIONS }),
      startService('generation-worker', { ...env, NODE_OPTIONS: WORKER_NODE_OPTIONS }),
    ]);
    services.push(...workers);

    const size = Number(process.env.BENCH_ITEMS ?? 100_000);
    const batchId = 'bench_e2e';
    const items = Array.from({ length: size }, (_, index) => ({
      id: `item-${index}`,
      topic: `conversation topic ${index}`,
    }));
    const seen = watch(nc, namespace, batchId);
    await createLargeBatch(nc, namespace, batchId, items, { provider: 'template' });
    const startedAt = performance.now();
    const memory = [orchestrator, ...workers].map((service) =>
      sampleRss(service.child.pid!, { intervalMs: 1_000 }),
    );
    await seen.done;
    const elapsed = seen.endedAt! - startedAt;
    const [orchestratorMemory, ...workerMemory] = memory.map((sampler) => sampler.stop());
    const latencies = seen.latencies.sort((a, b) => a - b);
    figures.push(
      {
        name: `${size.toLocaleString('en-US')} items end to end, 2 workers`,
        value: rate(size, elapsed),
        unit: 'items/s',
        note: `${(elapsed / 1000).toFixed(1)} s, template provider, tracing ${receiver ? 'on' : 'off'}`,
      },
      {
        name: 'time to the first completed item',
        value: Math.round(seen.firstCompletedAt! - startedAt),
        unit: 'ms',
      },
      {
        name: 'item latency p50 (dispatch to outcome)',
        value: Math.round(percentile(latencies, 50)),
        unit: 'ms',
      },
      { name: 'item latency p99', value: Math.round(percentile(latencies, 99)), unit: 'ms' },
      {
        name: 'peak RSS orchestrator',
        value: peakRssOf(orchestrator),
        unit: 'MiB',
        note: `over the run: ${overTheRun(orchestratorMemory!.series)}`,
      },
      {
        name: 'peak RSS worker (each)',
        value: Math.max(...workers.map(peakRssOf)),
        unit: 'MiB',
        note: `over the run: ${workerMemory.map((worker) => overTheRun(worker.series)).join('; ')}`,
      },
      ...(receiver ? [{ name: 'spans exported', value: receiver.spans.length, unit: 'spans' }] : []),
    );

    await Promise.all(workers.map((worker) => worker.stop()));
    const resumeSize = Number(process.env.BENCH_RESUME_ITEMS ?? 1_000_000);
    const resumeId = 'bench_resume';
    const resumeItems = Array.from({ length: resumeSize }, (_, index) => ({
      id: `r-${index}`,
      topic: `resume topic ${index}`,
    }));
    await createLargeBatch(nc, namespace, resumeId, resumeItems, { provider: 'template' });
    const names = namesFor(namespace);
    const owned = { userId: 'bench', batchId: resumeId };
    await command(nc, names.command('pause'), { ...owned, reason: 'bench' });
    // A batch resumed long after it was paused: its read model and snapshot are in place.
    await untilStatus(database, resumeId, 'paused');
    await orchestrator.stop();
    services.splice(services.indexOf(orchestrator), 1);
    const restartedAt = performance.now();
    const restarted = await startService('batch-orchestrator', {
      ...env,
      NODE_OPTIONS: ORCHESTRATOR_NODE_OPTIONS,
      ORCHESTRATOR_REPLICA_ID: 'bench-a',
    });
    services.push(restarted);
    // The work queued before the pause is still queued: a worker holds it back until the resume.
    services.push(await startService('generation-worker', { ...env, NODE_OPTIONS: WORKER_NODE_OPTIONS }));
    const resumed = watch(nc, namespace, resumeId);
    const resumedAt = performance.now();
    await command(nc, names.command('resume'), owned);
    const answeredAt = performance.now();
    await Promise.all([resumed.firstCompleted, resumed.firstDispatched]);
    figures.push(
      {
        name: `resume a paused ${resumeSize.toLocaleString('en-US')}-item batch: resume command to first completed item`,
        value: Math.round(resumed.firstCompletedAt! - resumedAt),
        unit: 'ms',
        note: 'fresh orchestrator, one worker holding the queued work',
      },
      {
        name: 'of which the resume command, to its answer',
        value: Math.round(answeredAt - resumedAt),
        unit: 'ms',
        note: 'the batch loaded from its snapshot, the decision appended',
      },
      {
        name: 'the same from orchestrator process start',
        value: Math.round(resumed.firstCompletedAt! - restartedAt),
        unit: 'ms',
        note: 'includes Node + Nest start-up and a worker start',
      },
      {
        name: 'resume to the first new item the resumed batch sends',
        value: Math.round(resumed.firstDispatchedAt! - resumedAt),
        unit: 'ms',
        note: 'new work, after the window held at the pause frees up',
      },
    );
    figures.push({
      name: 'peak RSS orchestrator after the resume',
      value: peakRssOf(restarted),
      unit: 'MiB',
    });
    figures.push({ name: 'peak RSS of the bench process', value: peakRssMib(), unit: 'MiB' });
    return figures;
  } catch (error) {
    // The services' output is kept in memory: their errors and last lines say why.
    for (const service of services)
      console.error(
        service.lines
          .filter((line, index) => /"level":(50|60)/.test(line) || index >= service.lines.length - 10)
          .join('\n'),
        `(exit ${service.child.exitCode ?? service.child.signalCode ?? 'none yet'})`,
      );
    throw error;
  } finally {
    await Promise.all(services.map((service) => service.kill()));
    await database.close();
    await receiver?.close();
  }
}
