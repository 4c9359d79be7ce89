import { join } from 'node:path';
import { isListening, onPath, runS3rver, s3Client } from '@batch/testing';
import { prepareEmbeddedPostgres } from './embedded-postgres.js';
import { natsServerLine } from './log-lines.js';
import type { StartConfig } from './start.config.js';
import { supervise, type SupervisorOptions } from './supervisor.js';

/** Where a server came from: its variable, something already listening on its port, or started by us. */
export type Origin = 'env' | 'reused' | 'started';

export interface Found {
  url: string;
  origin: Origin;
  /** How it was found or started, for the banner. */
  detail: string;
}

export interface Infrastructure {
  nats: Found;
  postgres: Found;
  s3: Found;
}

/** Something the launcher started and must stop, and only that. */
export interface Owned {
  name: string;
  stop(): Promise<void>;
}

export interface InfrastructureContext {
  config: StartConfig;
  supervisor: SupervisorOptions;
  /** Called as soon as something is started, so that a Ctrl-C during start-up stops it too. */
  own(started: Owned): void;
  say(text: string): void;
}

const LOCALHOST = '127.0.0.1';

const NO_NATS_SERVER = `nothing listens on ${LOCALHOST}:%PORT% and nats-server is not installed. Either
  - install nats-server: apt-get install nats-server (Debian, Ubuntu), brew install nats-server (macOS),
    or download a release from https://github.com/nats-io/nats-server/releases and put it on PATH;
  - or set NATS_URL to a running NATS server with JetStream enabled.`;

async function findNats({ config, supervisor, own, say }: InfrastructureContext): Promise<Found> {
  if (config.NATS_URL) return { url: config.NATS_URL, origin: 'env', detail: 'NATS_URL' };
  const url = `nats://${LOCALHOST}:${config.NATS_PORT}`;
  if (await isListening(LOCALHOST, config.NATS_PORT))
    return { url, origin: 'reused', detail: 'already listening' };
  const binary = onPath('nats-server');
  if (!binary) throw new Error(NO_NATS_SERVER.replace('%PORT%', String(config.NATS_PORT)));
  const storeDir = join(config.DATA_DIR, 'nats');
  say(`starting ${binary} on ${LOCALHOST}:${config.NATS_PORT}, JetStream store ${storeDir}`);
  const server = supervise(
    {
      name: 'nats',
      command: binary,
      args: ['-a', LOCALHOST, '-p', String(config.NATS_PORT), '-js', '-sd', storeDir],
      readyText: 'Server is ready',
      readLine: natsServerLine,
    },
    supervisor,
  );
  own(server);
  await server.ready;
  return { url, origin: 'started', detail: `${binary}, store ${storeDir}` };
}

async function findPostgres({ config, supervisor, own, say }: InfrastructureContext): Promise<Found> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, origin: 'env', detail: 'DATABASE_URL' };
  const credentials = `${encodeURIComponent(config.POSTGRES_USER)}:${encodeURIComponent(config.POSTGRES_PASSWORD)}`;
  const url = `postgres://${credentials}@${LOCALHOST}:${config.POSTGRES_PORT}/postgres`;
  if (await isListening(LOCALHOST, config.POSTGRES_PORT))
    return { url, origin: 'reused', detail: 'already listening' };
  const dataDir = join(config.DATA_DIR, 'postgres');
  const definition = await prepareEmbeddedPostgres(
    {
      dataDir,
      port: config.POSTGRES_PORT,
      user: config.POSTGRES_USER,
      password: config.POSTGRES_PASSWORD,
    },
    say,
  );
  say(`starting the embedded PostgreSQL on ${LOCALHOST}:${config.POSTGRES_PORT}, data ${dataDir}`);
  const server = supervise(definition, supervisor);
  own(server);
  await server.ready;
  return { url, origin: 'started', detail: `embedded-postgres, data ${dataDir}` };
}

async function findS3({ config, own, say }: InfrastructureContext): Promise<Found> {
  let found: Found;
  if (config.S3_ENDPOINT) found = { url: config.S3_ENDPOINT, origin: 'env', detail: 'S3_ENDPOINT' };
  else if (await isListening(LOCALHOST, config.S3_PORT))
    found = { url: `http://${LOCALHOST}:${config.S3_PORT}`, origin: 'reused', detail: 'already listening' };
  else {
    const directory = join(config.DATA_DIR, 's3');
    say(`starting s3rver on ${LOCALHOST}:${config.S3_PORT}, data ${directory}`);
    // In this process: it goes when the launcher goes, whatever happens.
    const server = await runS3rver({ address: LOCALHOST, port: config.S3_PORT, directory });
    own({
      name: 's3rver',
      stop: async () => {
        await server.close();
        say('s3rver stopped');
      },
    });
    found = {
      url: `http://${LOCALHOST}:${config.S3_PORT}`,
      origin: 'started',
      detail: `s3rver, data ${directory}`,
    };
  }
  await ensureBucket(found.url, config);
  return found;
}

/** The bucket is created whichever S3 it is; that also checks the credentials before any service starts. */
async function ensureBucket(endpoint: string, config: StartConfig): Promise<void> {
  const client = s3Client(endpoint, config.S3_ACCESS_KEY, config.S3_SECRET_KEY);
  try {
    if (!(await client.bucketExists(config.S3_BUCKET))) await client.makeBucket(config.S3_BUCKET);
  } catch (error) {
    throw new Error(
      `S3 at ${endpoint} refused the bucket ${config.S3_BUCKET} (${(error as Error).message}): ` +
        'check S3_ACCESS_KEY and S3_SECRET_KEY',
    );
  }
}

/**
 * Finds NATS, PostgreSQL and S3, each in this order: its variable (NATS_URL, DATABASE_URL, S3_ENDPOINT),
 * a server already listening on its port, or one started here with its data under DATA_DIR.
 */
export async function startInfrastructure(context: InfrastructureContext): Promise<Infrastructure> {
  // In parallel: an embedded PostgreSQL's first start (initdb) takes a while.
  const results = await Promise.allSettled([findNats(context), findPostgres(context), findS3(context)]);
  const problems = results.flatMap((result) =>
    result.status === 'rejected' ? [(result.reason as Error).message] : [],
  );
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const [nats, postgres, s3] = results.map((result) => (result as PromiseFulfilledResult<Found>).value);
  return { nats, postgres, s3 };
}
