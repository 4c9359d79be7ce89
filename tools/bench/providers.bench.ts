import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { chunkItems, names as namesFor, type BatchEvent, type ItemSpec } from '@batch/contracts';
import { request } from '@batch/messaging';
import {
  removeNamespace,
  replyTo,
  startFakeLlm,
  startService,
  testDatabase,
  type FakeLlm,
  type ServiceProcess,
} from '@batch/testing';
import { watchCpu, type CpuReport } from './cpu-usage.js';
import { sampleRss } from './rss-sampler.js';

/**
 * `BENCH_ONLY=providers`: the `openai` provider against the fake chat-completions server of the
 * tests (in this process), answering after a fixed delay; the offline `template` provider with the
 * same delay (`latencyMs`) beside it, which takes no shared rate-limit budget. Sizes (items):
 * BENCH_PROVIDER_ITEMS_0MS, BENCH_PROVIDER_ITEMS_500MS, BENCH_TEMPLATE_ITEMS_500MS, BENCH_RPM_ITEMS
 * (a batch), BENCH_INFLIGHT_ITEMS, BENCH_TEMPLATE_INFLIGHT_ITEMS; BENCH_PROVIDERS_PARTS picks some
 * of overhead,rpm,in-flight.
 */
const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const KEY = 'sk-bench-fake0123456789abcdefghijklmnop';
/** The operator lifts the default 50 calls a minute: these runs measure the platform, not the limiter. */
const LIFTED = JSON.stringify({ OPENAI_API_KEY: { requestsPerMinute: 1_000_000 } });
const RPM_LIMIT = 600;

/** A table of the section: a grid, and what to read it with. */
export interface ProvidersTable {
  title: string;
  head: string[];
  rows: string[][];
  notes: string[];
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const percent = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The fake provider, answering every request after `delayMs`, counting the requests open at once. */
async function fakeProvider(delayMs: number) {
  let open = 0;
  let mostOpen = 0;
  const llm: FakeLlm = await startFakeLlm((request) => {
    mostOpen = Math.max(mostOpen, ++open);
    if (delayMs > 0) setTimeout(() => open--, delayMs);
    else queueMicrotask(() => open--);
    return { status: 200, body: replyTo(request, 'bench reply'), delayMs };
  });
  return {
    llm,
    get mostOpen() {
      return mostOpen;
    },
  };
}

/** The most requests the server received within any `windowMs` (request times sorted). */
function busiest(times: number[], windowMs: number): number {
  let most = 0;
  for (let from = 0, to = 0; to < times.length; to++) {
    while (times[to]! - times[from]! >= windowMs) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

async function command(nc: NatsConnection, subject: string, payload: unknown): Promise<unknown> {
  const reply = await request(nc, subject, payload, 120_000);
  if (!reply.ok) throw new Error(`${subject}: ${reply.error.code} ${reply.error.message}`);
  return reply.result;
}

interface Run {
  items: number;
  /** From the start command to BatchCompleted. */
  elapsedMs: number;
  startedAt: number;
  endedAt: number;
  /** The worker's own time for the provider call that answered each item (ItemCompleted.latencyMs). */
  callLatencies: number[];
  /** When each ItemCompleted arrived here (performance.now()), in order. */
  completedAt: number[];
  failed: number;
}

/** Creates a batch (in requests of < 1 MiB), starts it, and waits for its end. */
async function runBatch(
  nc: NatsConnection,
  namespace: string,
  batchId: string,
  size: number,
  config: object,
): Promise<Run> {
  const names = namesFor(namespace);
  const items: ItemSpec[] = Array.from({ length: size }, (_, index) => ({
    id: `item-${index}`,
    topic: `bench topic ${index}`,
  }));
  const callLatencies: number[] = [];
  const completedAt: number[] = [];
  let failed = 0;
  let endedAt = 0;
  const ended = new Promise<void>((resolve) => {
    const subscription = nc.subscribe(names.batchEvents(batchId), {
      callback: (_error, message) => {
        for (const event of message.json() as BatchEvent[]) {
          if (event.type === 'ItemCompleted') {
            completedAt.push(performance.now());
            if (event.data.latencyMs !== undefined) callLatencies.push(event.data.latencyMs);
          }
          if (event.type === 'ItemFailed') failed++;
          if (event.type === 'BatchCompleted' || event.type === 'BatchFailed') {
            endedAt = performance.now();
            subscription.unsubscribe();
            resolve();
          }
        }
      },
    });
  });
  const owned = { userId: 'bench', batchId };
  const [first, ...rest] = chunkItems(items, 900 * 1024);
  await command(nc, names.command('create'), {
    ...owned,
    items: first,
    totalItems: size,
    autoStart: false,
    config,
  });
  for (const chunk of rest) await command(nc, names.command('add-items'), { ...owned, items: chunk });
  const startedAt = performance.now();
  await command(nc, names.command('start'), owned);
  await ended;
  return {
    items: size,
    elapsedMs: endedAt - startedAt,
    startedAt,
    endedAt,
    callLatencies: callLatencies.sort((a, b) => a - b),
    completedAt,
    failed,
  };
}

/** Runs a batch while watching the orchestrator's and workers' CPU and the workers' RSS. */
async function measured<T>(
  workers: ServiceProcess[],
  orchestrator: ServiceProcess,
  run: () => Promise<T>,
): Promise<{ run: T; cpu: CpuReport & { benchCores: number }; peakRssMib: number }> {
  const samplers = workers.map((worker) => sampleRss(worker.child.pid!, { intervalMs: 200 }));
  const cpu = watchCpu([orchestrator.child.pid!, ...workers.map((worker) => worker.child.pid!)]);
  const result = await run();
  const usage = cpu.stop();
  const peaks = samplers.map((sampler) => sampler.stop().peakMib);
  return { run: result, cpu: usage, peakRssMib: Math.max(...peaks) };
}

const pct = (cores: number) => `${Math.round(cores * 100)}`;

/** Events (or requests) per second over the middle 80% of them: no ramp-up, no tail. */
function steadyRate(times: number[]): number {
  const first = Math.floor(times.length * 0.1);
  const last = Math.floor(times.length * 0.9);
  const spanMs = times[last]! - times[first]!;
  return spanMs > 0 ? ((last - first) / spanMs) * 1000 : 0;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const count = (value: number) => Math.round(value).toLocaleString('en-US');

export const THROUGHPUT_HEAD = [
  'provider, latency',
  'items',
  'items/s end to end',
  'steady items/s',
  'theoretical',
  'steady / theoretical',
  'call p50 / p99 ms (worker)',
  'in flight: max at server / mean',
  'calls per worker',
  'worker CPU % (each)',
  'worker peak RSS MiB',
];

interface ThroughputRun {
  provider: 'openai' | 'template';
  delayMs: number;
  size: number;
  slots: number;
  /** A template batch with a `rateLimit` of 1,000,000 a minute: the shared limiter, without HTTP. */
  limited?: boolean;
}

/**
 * One batch through the workers: with `openai`, against a fake server answering after `delayMs`;
 * with `template`, its simulated `latencyMs` (no HTTP, no shared rate-limit budget).
 */
async function throughput(
  nc: NatsConnection,
  namespace: string,
  callLog: string,
  orchestrator: ServiceProcess,
  workers: ServiceProcess[],
  { provider, delayMs, size, slots, limited }: ThroughputRun,
): Promise<{ row: string[]; note: string }> {
  const fake = provider === 'openai' ? await fakeProvider(delayMs) : undefined;
  try {
    const config = fake
      ? { provider: 'openai', baseUrl: fake.llm.baseUrl, model: 'fake-1' }
      : {
          provider: 'template',
          latencyMs: delayMs,
          ...(limited ? { rateLimit: { requestsPerMinute: 1_000_000 } } : {}),
        };
    const { run, cpu, peakRssMib } = await measured(workers, orchestrator, () =>
      runBatch(nc, namespace, `${provider}_${delayMs}ms_${slots}${limited ? '_limited' : ''}`, size, config),
    );
    const rate = (run.items / run.elapsedMs) * 1000;
    const steady = steadyRate(run.completedAt);
    const theoretical = delayMs > 0 ? (slots / delayMs) * 1000 : undefined;
    // Little's law: calls in flight = rate x time in the call.
    const littles = steady * (mean(run.callLatencies) / 1000);
    const batchId = `${provider}_${delayMs}ms_${slots}${limited ? '_limited' : ''}`;
    const callsBy = new Map<string, number>();
    for (const line of readFileSync(callLog, 'utf8').split('\n')) {
      const [batch, , pid] = line.split(' ');
      if (batch === batchId) callsBy.set(pid!, (callsBy.get(pid!) ?? 0) + 1);
    }
    const label = `${provider}${limited ? ' + shared limiter' : ''}, ${delayMs.toLocaleString('en-US')} ms`;
    return {
      row: [
        label,
        count(size),
        count(rate),
        count(steady),
        theoretical ? `${count(theoretical)}/s` : 'none',
        theoretical ? `${percent(steady, theoretical)}%` : '-',
        `${Math.round(percentile(run.callLatencies, 50))} / ${Math.round(percentile(run.callLatencies, 99))}`,
        `${fake && delayMs > 0 ? fake.mostOpen : '-'} / ${Math.round(littles)} of ${slots}`,
        workers.map((worker) => count(callsBy.get(String(worker.child.pid)) ?? 0)).join(' / '),
        cpu.cores.slice(1).map(pct).join(' / '),
        String(peakRssMib),
      ],
      note:
        `${label}: ${seconds(run.elapsedMs)}, ${run.failed} failed; CPU: orchestrator ${pct(cpu.cores[0]!)}%, ` +
        `NATS+PostgreSQL ${pct(cpu.serversCores)}%, this process (fake server) ${pct(cpu.benchCores)}%, ` +
        `other programs ${pct(cpu.othersCores)}%, machine ${pct(cpu.machineBusy)}% busy`,
    };
  } finally {
    await fake?.llm.close();
  }
}

export const RPM_HEAD = [
  'provider latency',
  'requests',
  'first to last',
  'requests/min over the run',
  'busiest 10 s x 6',
  'busiest 1 s',
  'most open at once',
];

async function rpmAccuracy(
  nc: NatsConnection,
  namespace: string,
  orchestrator: ServiceProcess,
  workers: ServiceProcess[],
  size: number,
): Promise<{ rows: string[][]; notes: string[] }> {
  const fakes = await Promise.all([0, 500].map((delayMs) => fakeProvider(delayMs)));
  try {
    // Both batches at once, each on its own route (base URL), so each has its own budget.
    const { run: runs, cpu } = await measured(workers, orchestrator, () =>
      Promise.all(
        fakes.map((fake, index) =>
          runBatch(nc, namespace, `rpm_${index}`, size, {
            provider: 'openai',
            baseUrl: fake.llm.baseUrl,
            model: 'fake-1',
            rateLimit: { requestsPerMinute: RPM_LIMIT },
          }),
        ),
      ),
    );
    const rows = fakes.map((fake, index) => {
      const times = fake.llm.requests.map((request) => request.at).sort((a, b) => a - b);
      const spanMs = times.at(-1)! - times[0]!;
      // n calls spaced evenly at the limit span n - 1 intervals.
      const overRun = ((times.length - 1) / spanMs) * 60_000;
      const busiest10s = busiest(times, 10_000) * 6;
      return [
        `${index === 0 ? 0 : 500} ms`,
        `${times.length} (${runs[index]!.failed} failed)`,
        seconds(spanMs),
        `${count(overRun)} (${percent(overRun, RPM_LIMIT)}%)`,
        `${busiest10s} (${percent(busiest10s, RPM_LIMIT)}%)`,
        `${busiest(times, 1000)} (limit ${RPM_LIMIT / 60})`,
        index === 0 ? '-' : String(fake.mostOpen),
      ];
    });
    return {
      rows,
      notes: [
        `limit ${RPM_LIMIT} requests/min = one every ${60_000 / RPM_LIMIT} ms; PROVIDER_RATE_LIMITS unset, so the batch's own rateLimit is the route's limit`,
        `worker CPU ${cpu.cores.slice(1).map(pct).join(' / ')}%, other programs ${pct(cpu.othersCores)}%, machine ${pct(cpu.machineBusy)}% busy`,
      ],
    };
  } finally {
    await Promise.all(fakes.map((fake) => fake.llm.close()));
  }
}

/** Runs the sections, handing each table to `print` as soon as it is measured. */
export async function providersBench(
  nc: NatsConnection,
  parentNamespace: string,
  natsUrl: string,
  print: (table: ProvidersTable) => void,
): Promise<void> {
  const namespace = `${parentNamespace}_providers`;
  const database = await testDatabase();
  // Every call a worker makes: `<batchId> <itemId> <pid> <ms>`, to see how the workers shared a batch.
  const callLog = join(tmpdir(), `${namespace}-calls.log`);
  const env = {
    PROVIDER_CALL_LOG: callLog,
    NATS_URL: natsUrl,
    NATS_NAMESPACE: namespace,
    DATABASE_URL: database.url,
    DATABASE_SCHEMA: database.schema,
    LOG_LEVEL: 'info',
  };
  const services = new Set<ServiceProcess>();
  // BENCH_WORKER_NODE_OPTIONS (e.g. `--require <a profiler preload>`): to profile the workers.
  const workerOptions = process.env.BENCH_WORKER_NODE_OPTIONS;
  const start = async (name: string, extra: Record<string, string>) => {
    const service = await startService(name, {
      ...env,
      ...(workerOptions && name === 'generation-worker' ? { NODE_OPTIONS: workerOptions } : {}),
      ...extra,
    });
    services.add(service);
    return service;
  };
  const stop = async (stopping: ServiceProcess[]) => {
    await Promise.all(stopping.map((service) => service.stop()));
    for (const service of stopping) services.delete(service);
  };
  const workersWith = (count: number, settings: Record<string, string>) =>
    Promise.all(
      Array.from({ length: count }, () => start('generation-worker', { OPENAI_API_KEY: KEY, ...settings })),
    );
  const parts = new Set((process.env.BENCH_PROVIDERS_PARTS ?? 'overhead,rpm,in-flight').split(','));
  try {
    const orchestrator = await start('batch-orchestrator', { ORCHESTRATOR_REPLICA_ID: 'bench-providers' });

    if (parts.has('overhead')) {
      const concurrency = setting('BENCH_PROVIDER_CONCURRENCY', 64);
      const workers = await workersWith(2, {
        WORKER_CONCURRENCY: String(concurrency),
        PROVIDER_RATE_LIMITS: LIFTED,
      });
      const slots = 2 * concurrency;
      const runs: ThroughputRun[] = [
        { provider: 'openai', delayMs: 0, size: setting('BENCH_PROVIDER_ITEMS_0MS', 2000), slots },
        { provider: 'openai', delayMs: 500, size: setting('BENCH_PROVIDER_ITEMS_500MS', 1500), slots },
        { provider: 'template', delayMs: 500, size: setting('BENCH_TEMPLATE_ITEMS_500MS', 2000), slots },
      ];
      const results = [];
      for (const run of runs)
        results.push(await throughput(nc, namespace, callLog, orchestrator, workers, run));
      print({
        title: `Providers: platform overhead (orchestrator + 2 workers x WORKER_CONCURRENCY=${concurrency}, limits lifted by PROVIDER_RATE_LIMITS)`,
        head: THROUGHPUT_HEAD,
        rows: results.map((result) => result.row),
        notes: results.map((result) => result.note),
      });
      await stop(workers);
    }

    if (parts.has('rpm')) {
      // PROVIDER_RATE_LIMITS unset: the batch's own rateLimit is its route's limit.
      const workers = await workersWith(2, { WORKER_CONCURRENCY: '8' });
      const { rows, notes } = await rpmAccuracy(
        nc,
        namespace,
        orchestrator,
        workers,
        setting('BENCH_RPM_ITEMS', 250),
      );
      print({
        title: `Providers: RPM limiter accuracy (2 workers x 8, two batches at once, each rateLimit.requestsPerMinute ${RPM_LIMIT} on its own route; counted at the fake server)`,
        head: RPM_HEAD,
        rows,
        notes,
      });
      await stop(workers);
    }

    if (parts.has('in-flight')) {
      const wide = setting('BENCH_INFLIGHT_CONCURRENCY', 256);
      const [worker] = await workersWith(1, {
        WORKER_CONCURRENCY: String(wide),
        PROVIDER_RATE_LIMITS: LIFTED,
      });
      const runs: ThroughputRun[] = [
        { provider: 'openai', delayMs: 2000, size: setting('BENCH_INFLIGHT_ITEMS', wide * 4), slots: wide },
        {
          provider: 'template',
          delayMs: 2000,
          size: setting('BENCH_TEMPLATE_INFLIGHT_ITEMS', wide * 4),
          slots: wide,
        },
        {
          provider: 'template',
          delayMs: 2000,
          size: setting('BENCH_TEMPLATE_INFLIGHT_ITEMS', wide * 4),
          slots: wide,
          limited: true,
        },
      ];
      const results = [];
      for (const run of runs)
        results.push(await throughput(nc, namespace, callLog, orchestrator, [worker!], run));
      print({
        title: `Providers: calls in flight (one worker, WORKER_CONCURRENCY=${wide}, calls of 2,000 ms)`,
        head: THROUGHPUT_HEAD,
        rows: results.map((result) => result.row),
        notes: results.map((result) => result.note),
      });
      await stop([worker!]);
    }
  } finally {
    rmSync(callLog, { force: true });
    await Promise.all([...services].map((service) => service.kill()));
    await database.close();
    await removeNamespace(nc, namespace);
  }
}
