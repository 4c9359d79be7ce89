import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import {
  BatchFact,
  type BatchEvent,
  type EventOf,
  type OrchestratorCommandName,
  type OrchestratorQueryName,
} from '@batch/contracts';
import { request } from '@batch/messaging';
import {
  startService,
  testDatabase,
  testNats,
  uniqueNamespace,
  watchEvents,
  type EventWatcher,
  type ServiceProcess,
  type TestDatabase,
  type TestNats,
} from '@batch/testing';
import pg from 'pg';

/** Real NATS + PostgreSQL, services as child processes, and the means to watch what they do. */
export interface Engine {
  nats: TestNats;
  database: TestDatabase;
  watcher: EventWatcher;
  callLog: string;
  env: (extra?: Record<string, string>) => Record<string, string>;
  orchestrator(extra?: Record<string, string>): Promise<ServiceProcess>;
  worker(extra?: Record<string, string>): Promise<ServiceProcess>;
  command<R>(name: OrchestratorCommandName, payload: unknown): Promise<R>;
  query<R>(name: OrchestratorQueryName, payload: unknown): Promise<R>;
  /** `<batchId> <itemId>` of every provider call, across all workers. */
  providerCalls(batchId: string): string[];
  sql<T>(text: string, values?: unknown[]): Promise<T[]>;
  /** SIGTERMs every service still running (after each test, whatever its outcome). */
  stopAll(): Promise<void>;
  close(): Promise<void>;
}

export async function startEngine(): Promise<Engine> {
  const nats = await testNats();
  const database = await testDatabase();
  const callLog = join(tmpdir(), `${uniqueNamespace('calls')}.log`);
  writeFileSync(callLog, '');
  const processes: ServiceProcess[] = [];
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const env = (extra: Record<string, string> = {}) => ({
    NATS_URL: nats.url,
    NATS_NAMESPACE: nats.namespace,
    DATABASE_URL: database.url,
    DATABASE_SCHEMA: database.schema,
    DISPATCH_LEASE_MS: '3000',
    PROVIDER_CALL_LOG: callLog,
    ...extra,
  });
  const started = async (service: Promise<ServiceProcess>) => {
    const process = await service;
    processes.push(process);
    return process;
  };
  const orchestratorEnv = { ORCHESTRATOR_REPLICA_ID: 'replica-a' };
  const orchestrator = (extra?: Record<string, string>) =>
    started(startService('batch-orchestrator', env({ ...orchestratorEnv, ...extra })));
  // The first orchestrator creates the streams the watcher follows.
  await (await orchestrator()).stop();
  processes.length = 0;
  const watcher = await watchEvents(nats.nc, nats.names);
  const unwrap = async <R>(subject: string, payload: unknown): Promise<R> => {
    const reply = await request<R>(nats.nc, subject, payload, 60_000);
    if (!reply.ok)
      throw Object.assign(new Error(`${reply.error.code}: ${reply.error.message}`), {
        code: reply.error.code,
      });
    return reply.result;
  };
  return {
    nats,
    database,
    watcher,
    callLog,
    env,
    orchestrator,
    worker: (extra) => started(startService('generation-worker', env(extra))),
    command: (name, payload) => unwrap(nats.names.command(name), payload),
    query: (name, payload) => unwrap(nats.names.query(name), payload),
    providerCalls: (batchId) =>
      readFileSync(callLog, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith(`${batchId} `))
        .map((line) => line.split(' ').slice(0, 2).join(' ')),
    sql: async (text, values) =>
      (await client.query(text.replaceAll('$schema', `"${database.schema}"`), values)).rows,
    stopAll: async () => {
      await Promise.all(processes.splice(0).map((process) => process.stop()));
    },
    close: async () => {
      await Promise.all(processes.map((process) => process.kill()));
      await watcher.close();
      await client.end();
      await database.close();
      await nats.close();
    },
  };
}

export { itemsOf } from '@batch/testing';

const ofBatch = (batchId: string) => (event: BatchEvent) => event.batchId === batchId;

export const completedIds = (events: BatchEvent[], batchId: string): Set<string> =>
  new Set(
    events
      .filter(ofBatch(batchId))
      .filter((event): event is EventOf<'ItemCompleted'> => event.type === 'ItemCompleted')
      .map((event) => event.data.itemId),
  );

export const lifecycle = (events: BatchEvent[], batchId: string): string[] =>
  events
    .filter(ofBatch(batchId))
    .filter((event) => !['ItemsAdded', 'ItemCompleted', 'ItemFailed'].includes(event.type))
    .map((event) => event.type);

export const ended = (batchId: string) => (events: BatchEvent[]) =>
  lifecycle(events, batchId).some((type) => type === 'BatchCompleted' || type === 'BatchFailed');

/** The facts published for a batch that tell its user of something (rate limits, pauses, failures), in order; its progress reports left out. */
export async function factsOf(engine: Engine, batchId: string): Promise<BatchFact[]> {
  const { nc, names } = engine.nats;
  const consumer = await jetstream(nc).consumers.get(names.factsStream, {
    filter_subjects: names.facts(batchId),
  });
  const facts: BatchFact[] = [];
  for (;;) {
    const message = await consumer.next({ expires: 1000 });
    if (!message) return facts;
    const fact = BatchFact.parse(message.json());
    if (fact.type !== 'progress') facts.push(fact);
  }
}
