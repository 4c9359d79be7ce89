import { SignJWT } from 'jose';
import { watchEvents, type EventWatcher } from './event-watcher.js';
import { freePort } from './network.js';
import { startService, type ServiceProcess } from './service-process.js';
import { testDatabase, type TestDatabase } from './test-database.js';
import { testNats, type TestNats } from './test-nats.js';
import { testBucket, type TestBucket } from './test-bucket.js';

const SECRET = 'platform-test-secret';

/** A token for `sub`, signed like the dev token (HS256 with the gateway's secret). */
export const tokenFor = (sub: string, expiresIn = '1h', secret = SECRET): Promise<string> =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** One user's view of the API: JSON in, status + parsed body out (no client library in between). */
export interface Caller {
  token: string;
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<Answer<T>>;
}

/** Real NATS + PostgreSQL, orchestrator, worker and gateway as child processes: what users reach. */
export interface Platform {
  nats: TestNats;
  database: TestDatabase;
  watcher: EventWatcher;
  baseUrl: string;
  /** The gateway at `baseUrl`. */
  gatewayProcess: ServiceProcess;
  env(extra?: Record<string, string>): Record<string, string>;
  orchestrator: ServiceProcess;
  /** Starts an orchestrator again after a test stopped or killed it. */
  restartOrchestrator(): Promise<void>;
  /** The generation worker; while it is stopped, started batches stay `running` with nothing done. */
  worker: ServiceProcess;
  /** Starts a worker again (with the platform's worker settings) after a test stopped or killed it. */
  restartWorker(): Promise<void>;
  /** The backup service and its bucket, when started with `backups: true`. */
  backup?: ServiceProcess;
  bucket?: TestBucket;
  /** Starts the backup service again (with extra settings) after a test stopped or killed it. */
  restartBackup(extra?: Record<string, string>): Promise<ServiceProcess>;
  /**
   * Starts another gateway with extra settings; stopped with the platform. It listens on
   * `extra.GATEWAY_PORT` when given (a fixed port), else on a free port.
   */
  gateway(extra?: Record<string, string>): Promise<{ baseUrl: string; process: ServiceProcess }>;
  as(sub: string, baseUrl?: string): Promise<Caller>;
  close(): Promise<void>;
}

export async function call<T>(
  baseUrl: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer<T>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json');
  return {
    status: response.status,
    body: (isJson && text ? JSON.parse(text) : text) as T,
    headers: response.headers,
  };
}

export interface PlatformOptions {
  /** Also the backup service, on its own test bucket (`backupEnv` are its extra settings). */
  backups?: boolean;
  backupEnv?: Record<string, string>;
}

/**
 * The services on test servers (orchestrator, worker, gateway; the backup service on request);
 * `workerEnv` goes to the worker, `everyService` to all of them.
 */
export async function startPlatform(
  workerEnv: Record<string, string> = {},
  everyService: Record<string, string> = {},
  options: PlatformOptions = {},
): Promise<Platform> {
  const nats = await testNats();
  const database = await testDatabase();
  const bucket = options.backups ? await testBucket() : undefined;
  const processes: ServiceProcess[] = [];
  const env = (extra: Record<string, string> = {}) => ({
    NATS_URL: nats.url,
    NATS_NAMESPACE: nats.namespace,
    DATABASE_URL: database.url,
    DATABASE_SCHEMA: database.schema,
    AUTH_JWT_SECRET: SECRET,
    ...everyService,
    ...extra,
  });
  const orchestrator = await startService('batch-orchestrator', env());
  const worker = await startService('generation-worker', env(workerEnv));
  processes.push(orchestrator, worker);
  const backupEnv = (extra: Record<string, string> = {}) =>
    env({
      S3_ENDPOINT: bucket!.endpoint,
      S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? '',
      S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? '',
      S3_BUCKET: bucket!.bucket,
      ...options.backupEnv,
      ...extra,
    });
  const backup = bucket ? await startService('backup-service', backupEnv()) : undefined;
  if (backup) processes.push(backup);
  const watcher = await watchEvents(nats.nc, nats.names);
  const gateway = async (extra: Record<string, string> = {}) => {
    const port = extra.GATEWAY_PORT ? Number(extra.GATEWAY_PORT) : await freePort();
    const process = await startService('notification-gateway', env({ ...extra, GATEWAY_PORT: String(port) }));
    processes.push(process);
    return { baseUrl: `http://127.0.0.1:${port}`, process };
  };
  const { baseUrl, process: gatewayProcess } = await gateway();
  const platform: Platform = {
    nats,
    database,
    watcher,
    baseUrl,
    gatewayProcess,
    env,
    orchestrator,
    restartOrchestrator: async () => {
      platform.orchestrator = await startService('batch-orchestrator', env());
      processes.push(platform.orchestrator);
    },
    worker,
    restartWorker: async () => {
      platform.worker = await startService('generation-worker', env(workerEnv));
      processes.push(platform.worker);
    },
    backup,
    bucket,
    restartBackup: async (extra) => {
      platform.backup = await startService('backup-service', backupEnv(extra));
      processes.push(platform.backup);
      return platform.backup;
    },
    gateway,
    as: async (sub, url = baseUrl) => {
      const token = await tokenFor(sub);
      return { token, call: (method, path, body) => call(url, token, method, path, body) };
    },
    close: async () => {
      await Promise.all(processes.map((process) => process.kill()));
      await watcher.close();
      await bucket?.close();
      await database.close();
      await nats.close();
    },
  };
  return platform;
}

/** Items `<prefix>-0 ...`, each with its own topic. */
export const itemsOf = (count: number, prefix = 'item') =>
  Array.from({ length: count }, (_, index) => ({ id: `${prefix}-${index}`, topic: `topic number ${index}` }));
