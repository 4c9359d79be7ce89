import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { BatchEvent, BatchView } from '@batch/contracts';
import { watchEvents, type EventWatcher } from './event-watcher.js';
import { uniqueNamespace } from './namespace.js';
import { freePort } from './network.js';
import { call, itemsOf, tokenFor } from './platform.js';
import { startService, type ServiceProcess } from './service-process.js';
import { testDatabase } from './test-database.js';
import { testNats } from './test-nats.js';

export interface ChaosOptions {
  /** Items of the batch the services are killed under. */
  items: number;
  /** SIGKILLs, one every `intervalMs`; the run goes on until the batch has ended. */
  rounds: number;
  intervalMs: number;
  workers: number;
  /** Picks what is killed: the same seed kills the same services in the same order. */
  seed: number;
  /** Hears each kill and restart as it happens. */
  onKill?: (kill: Kill) => void;
  /** A folder that gets every service's log lines, `<service>.log` (each life appended). */
  logsDir?: string;
  /** The services' log level (default info). */
  logLevel?: string;
}

export interface Kill {
  round: number;
  service: string;
  pid: number;
  /** Milliseconds since the batch was created. */
  atMs: number;
}

export interface ChaosReport {
  kills: Kill[];
  items: number;
  durationMs: number;
  /** Items whose conversation is missing, and items stored more than once. */
  lost: number;
  duplicates: number;
  providerCalls: number;
  /** Calls beyond one per item: each must be of an item a SIGKILLed worker had called. */
  repeatedCalls: number;
  /** Repeated calls whose first call was not made by a worker that was killed (must be 0). */
  unexplainedRepeats: number;
  /** At most what the killed workers could hold unstored: held messages x items per message. */
  repeatBound: number;
  /** The longest time without a single completed item, and when it began (ms after the create). */
  longestStall: { ms: number; fromMs: number };
  finalStatus: string;
  processedCount: number;
  /** What the services logged as warnings and errors, `<service>: <message>`, in order. */
  warnings: string[];
}

const ITEMS_PER_WORK_MESSAGE = 10;
const WORKER_CONCURRENCY = 3;

/** mulberry32: a small seeded generator, so a run can be repeated kill for kill. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs a batch on real NATS and PostgreSQL with the orchestrator, workers and a gateway as processes,
 * and SIGKILLs one of them, chosen at random, every `intervalMs`, restarting it at once, as a
 * supervisor would. Then counts what was lost, stored twice, or paid for twice.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const random = seeded(options.seed);
  const nats = await testNats();
  const database = await testDatabase();
  const callLog = join(tmpdir(), `${uniqueNamespace('chaos-calls')}.log`);
  writeFileSync(callLog, '');
  const port = await freePort();
  const env = {
    NATS_URL: nats.url,
    NATS_NAMESPACE: nats.namespace,
    DATABASE_URL: database.url,
    DATABASE_SCHEMA: database.schema,
    AUTH_JWT_SECRET: 'chaos-secret',
    GATEWAY_PORT: String(port),
    PROVIDER_CALL_LOG: callLog,
    ORCHESTRATOR_REPLICA_ID: 'chaos-orchestrator',
    ITEMS_PER_WORK_MESSAGE: String(ITEMS_PER_WORK_MESSAGE),
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    LOG_LEVEL: options.logLevel ?? 'info',
  };
  const apps = {
    orchestrator: 'batch-orchestrator',
    gateway: 'notification-gateway',
    ...Object.fromEntries(
      Array.from({ length: options.workers }, (_, index) => [`worker-${index + 1}`, 'generation-worker']),
    ),
  } as Record<string, string>;
  const running = new Map<string, ServiceProcess>();
  const warnings: string[] = [];
  const collect = (service: string, process: ServiceProcess) => {
    if (options.logsDir)
      appendFileSync(join(options.logsDir, `${service}.log`), `${process.lines.join('\n')}\n`);
    warnings.push(
      ...process.lines
        .filter((line) => /"level":(40|50|60)/.test(line))
        .map((line) => {
          const { msg, err } = JSON.parse(line) as { msg: string; err?: { message?: string } };
          return `${service}: ${msg}${err?.message ? ` (${err.message})` : ''}`;
        }),
    );
  };
  const start = async (service: string) =>
    running.set(service, await startService(apps[service]!, env, 60_000));
  const db = new pg.Client({ connectionString: database.url });
  let watcher: EventWatcher | undefined;
  try {
    await start('orchestrator');
    await Promise.all(
      Object.keys(apps)
        .filter((service) => service !== 'orchestrator')
        .map(start),
    );
    await db.connect();
    watcher = await watchEvents(nats.nc, nats.names);
    const token = await tokenFor('chaos-user', '1h', 'chaos-secret');
    const baseUrl = `http://127.0.0.1:${port}`;
    // A provider slow enough for every round to land while the batch runs: at full speed the batch
    // would take twice the rounds' time (once only, and a run without a stall ended before its last kills).
    const latencyMs = Math.max(
      1,
      Math.round(
        (2 * options.workers * WORKER_CONCURRENCY * options.rounds * options.intervalMs) / options.items,
      ),
    );
    const created = await call<BatchView>(baseUrl, token, 'POST', '/api/v1/batches', {
      name: 'chaos',
      items: itemsOf(options.items),
      config: { provider: 'template', latencyMs },
    });
    if (created.status !== 201)
      throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
    const batchId = created.body.batch_id;
    const startedAt = performance.now();
    const ended = (events: BatchEvent[]) =>
      events.some(
        (event) =>
          event.batchId === batchId && (event.type === 'BatchCompleted' || event.type === 'BatchFailed'),
      );

    const kills: Kill[] = [];
    for (let round = 1; round <= options.rounds && !ended(watcher.events); round++) {
      await sleep(options.intervalMs);
      if (ended(watcher.events)) break;
      const services = Object.keys(apps);
      const service = services[Math.floor(random() * services.length)]!;
      const victim = running.get(service)!;
      const kill = {
        round,
        service,
        pid: victim.child.pid!,
        atMs: Math.round(performance.now() - startedAt),
      };
      await victim.kill();
      collect(service, victim);
      kills.push(kill);
      options.onKill?.(kill);
      await start(service);
    }
    await watcher.until(ended, 600_000);
    const durationMs = Math.round(performance.now() - startedAt);

    const view = await call<BatchView>(baseUrl, token, 'GET', `/api/v1/batches/${batchId}`);
    const [stored] = (
      await db.query(
        `SELECT count(*)::int AS rows, count(DISTINCT item_id)::int AS items
           FROM "${database.schema}".conversations WHERE batch_id = $1`,
        [batchId],
      )
    ).rows as { rows: number; items: number }[];
    const calls = readFileSync(callLog, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith(`${batchId} `))
      .map((line) => line.split(' '));
    const callers = new Map<string, string[]>();
    for (const [, itemId, pid] of calls) callers.set(itemId!, [...(callers.get(itemId!) ?? []), pid!]);
    const killedWorkers = new Set(
      kills.filter((kill) => kill.service.startsWith('worker')).map((kill) => String(kill.pid)),
    );
    const repeated = [...callers.values()].filter((pids) => pids.length > 1);
    // A worker holds at most 2 x concurrency messages plus its bursts, each of ITEMS_PER_WORK_MESSAGE items.
    running.forEach((process, service) => collect(service, process));
    const heldPerWorker = (2 * WORKER_CONCURRENCY + WORKER_CONCURRENCY) * ITEMS_PER_WORK_MESSAGE;
    return {
      kills,
      items: options.items,
      durationMs,
      lost: options.items - stored!.items,
      duplicates: stored!.rows - stored!.items,
      providerCalls: calls.length,
      repeatedCalls: calls.length - callers.size,
      unexplainedRepeats: repeated.filter((pids) => !pids.slice(0, -1).every((pid) => killedWorkers.has(pid)))
        .length,
      repeatBound: killedWorkers.size * heldPerWorker,
      longestStall: longestGap(watcher.events, batchId),
      finalStatus: view.body.status,
      processedCount: view.body.processed_count,
      warnings,
    };
  } finally {
    await Promise.all([...running.values()].map((service) => service.kill()));
    await watcher?.close();
    await db.end().catch(() => undefined);
    await database.close();
    await nats.close();
  }
}

/** The longest time between two completed items of the batch (or its start and the first). */
function longestGap(events: BatchEvent[], batchId: string): { ms: number; fromMs: number } {
  const times = events
    .filter(
      (event) =>
        event.batchId === batchId && (event.type === 'ItemCompleted' || event.type === 'BatchStarted'),
    )
    .map((event) => Date.parse(event.occurredAt))
    .sort((a, b) => a - b);
  let longest = { ms: 0, fromMs: 0 };
  for (let index = 1; index < times.length; index++)
    if (times[index]! - times[index - 1]! > longest.ms)
      longest = { ms: times[index]! - times[index - 1]!, fromMs: times[index - 1]! - times[0]! };
  return longest;
}
