import { existsSync } from 'node:fs';
import { isListening } from './network.js';
import { onPath, startNatsServer, startS3rver, type RunningServer } from './local-servers.js';

/** Where tests find NATS, PostgreSQL and S3; the same variables the services read. */
export interface InfrastructureEnv {
  NATS_URL: string;
  DATABASE_URL: string;
  S3_ENDPOINT: string;
  S3_ACCESS_KEY: string;
  S3_SECRET_KEY: string;
  /** `true` when the S3 is an s3rver this run started: its whole directory goes when the run ends. */
  TEST_S3_EPHEMERAL?: string;
}

export interface Infrastructure {
  env: InfrastructureEnv;
  /** How each was found, for the log: env, default port, started binary, container. */
  sources: Record<'nats' | 'postgres' | 's3', string>;
  stop(): Promise<void>;
}

const dockerAvailable = () => Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');

async function container(
  image: string,
  port: number,
  command: string[] = [],
  env: Record<string, string> = {},
) {
  const { GenericContainer } = await import('testcontainers');
  const started = await new GenericContainer(image)
    .withExposedPorts(port)
    .withCommand(command)
    .withEnvironment(env)
    .start();
  return {
    host: started.getHost(),
    port: started.getMappedPort(port),
    stop: async () => void (await started.stop()),
  };
}

/**
 * Finds real NATS (JetStream), PostgreSQL and S3 for tests, in this order: URLs from the
 * environment, a server on the default port, a local binary started on a free port (nats-server,
 * s3rver), and testcontainers where a Docker engine exists. Never a mock.
 */
export async function ensureInfrastructure(env: NodeJS.ProcessEnv = process.env): Promise<Infrastructure> {
  const started: RunningServer[] = [];
  const sources = { nats: 'env', postgres: 'env', s3: 'env' };
  try {
    let natsUrl = env.NATS_URL;
    if (!natsUrl) {
      const binary = onPath('nats-server');
      if (await isListening('127.0.0.1', 4222)) {
        natsUrl = 'nats://127.0.0.1:4222';
        sources.nats = 'default port';
      } else if (binary) {
        const server = await startNatsServer(binary);
        started.push(server);
        natsUrl = server.url;
        sources.nats = `started ${binary}`;
      } else if (dockerAvailable()) {
        const nats = await container('nats:2.10', 4222, ['-js']);
        started.push({ url: '', stop: nats.stop });
        natsUrl = `nats://${nats.host}:${nats.port}`;
        sources.nats = 'container';
      } else throw new Error('no NATS: set NATS_URL, run one on 127.0.0.1:4222, or install nats-server');
    }

    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      if (await isListening('127.0.0.1', 5432)) {
        databaseUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
        sources.postgres = 'default port';
      } else if (dockerAvailable()) {
        const pg = await container('postgres:15', 5432, [], { POSTGRES_HOST_AUTH_METHOD: 'trust' });
        started.push({ url: '', stop: pg.stop });
        databaseUrl = `postgres://postgres@${pg.host}:${pg.port}/postgres`;
        sources.postgres = 'container';
      } else throw new Error('no PostgreSQL: set DATABASE_URL or run one on 127.0.0.1:5432');
    }

    let s3 = env.S3_ENDPOINT
      ? { url: env.S3_ENDPOINT, accessKey: env.S3_ACCESS_KEY ?? '', secretKey: env.S3_SECRET_KEY ?? '' }
      : undefined;
    if (!s3) {
      const server = await startS3rver();
      started.push(server);
      s3 = server;
      sources.s3 = 'started s3rver';
    }

    return {
      env: {
        NATS_URL: natsUrl,
        DATABASE_URL: databaseUrl,
        S3_ENDPOINT: s3.url,
        S3_ACCESS_KEY: s3.accessKey,
        S3_SECRET_KEY: s3.secretKey,
        ...(sources.s3 === 'started s3rver' ? { TEST_S3_EPHEMERAL: 'true' } : {}),
      },
      sources,
      stop: async () => void (await Promise.all(started.map((server) => server.stop()))),
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.stop()));
    throw error;
  }
}
