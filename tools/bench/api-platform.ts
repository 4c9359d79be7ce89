import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { createClient, type BatchClient } from '@batch/client';
import { freePort, startService, testDatabase, type ServiceProcess, type TestDatabase } from '@batch/testing';

export const BATCHES = '/api/v1/batches';

/** A number from the environment (BENCH_API_SECONDS=5 npm run bench), or the default. */
export const setting = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** Far above what the bench sends: the default (100 per 1 s per user) would answer 429s. */
export const BENCH_RATE_LIMIT = 10_000_000;
/**
 * The limit's window, the gateway's default (1 s) unless BENCH_API_RATE_WINDOW_MS says otherwise:
 * the in-memory throttler keeps (and filters on every request) one timestamp per hit in the window.
 */
export const BENCH_RATE_WINDOW_MS = setting('BENCH_API_RATE_WINDOW_MS', 1_000);

export interface ApiPlatform {
  baseUrl: string;
  token: string;
  gateway: ServiceProcess;
  orchestrator: ServiceProcess;
  /** The typed REST client with the bench user's token. */
  client: BatchClient;
  /** The schema the services use, for what a bench writes into the tables directly. */
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * Orchestrator, one worker and the gateway as processes on the given NATS namespace and a schema of
 * their own (dropped on close), the gateway with the per-user rate limit lifted.
 */
export async function startApiPlatform(namespace: string, natsUrl: string): Promise<ApiPlatform> {
  const database = await testDatabase();
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
  const close = async () => {
    await Promise.all(services.map((service) => service.kill()));
    await database.close();
  };
  try {
    const orchestrator = await startService('batch-orchestrator', {
      ...env,
      ORCHESTRATOR_REPLICA_ID: 'bench-api',
    });
    services.push(orchestrator, await startService('generation-worker', env));
    const gateway = await startService('notification-gateway', {
      ...env,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      AUTH_JWT_SECRET: secret,
      RATE_LIMIT_REQUESTS: String(BENCH_RATE_LIMIT),
      RATE_LIMIT_WINDOW_MS: String(BENCH_RATE_WINDOW_MS),
    });
    services.push(gateway);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('bench-user')
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(secret));
    const baseUrl = `http://127.0.0.1:${port}`;
    return {
      baseUrl,
      token,
      gateway,
      orchestrator,
      client: createClient({ baseUrl, token }),
      database,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
