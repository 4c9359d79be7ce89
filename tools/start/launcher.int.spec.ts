import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jwtVerify } from 'jose';
import pg from 'pg';
import { names as namesFor, type BatchView, type Page } from '@batch/contracts';
import { request } from '@batch/messaging';
import { freePort, isListening, removeNamespace, uniqueNamespace, watchEvents } from '@batch/testing';
import { repositoryRoot } from './services.js';

interface Launcher {
  child: ChildProcess;
  lines: string[];
  /** The first line at or after `from` that matches, as soon as it is printed. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpMatchArray>;
  exitCode: Promise<number | null>;
}

function startLauncher(env: Record<string, string>): Launcher {
  const child = spawn(
    process.execPath,
    ['--conditions=@batch/source', '--import', '@swc-node/register/esm-register', 'tools/start/main.ts'],
    {
      cwd: repositoryRoot,
      // The services' ops servers on free ports: another launcher may hold the default ones.
      env: { ...process.env, OPS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!])
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      listeners.forEach((listener) => listener());
    });
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, from = 0, timeoutMs = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        for (const line of lines.slice(from)) {
          const match = pattern.exec(line);
          if (!match) continue;
          clearTimeout(timer);
          listeners.delete(check);
          return resolve(match);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; printed:\n${lines.join('\n')}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return { child, lines, waitFor, exitCode };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Drops what a launcher run left in PostgreSQL and its data directory. */
async function removeRun(schema: string, dataDir: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  await rm(dataDir, { recursive: true, force: true });
}

const pidOf = async (launcher: Launcher, service: string, from = 0) =>
  Number((await launcher.waitFor(new RegExp(`\\[start\\] ${service} ready \\(pid (\\d+)\\)`), from))[1]);

describe('npm start, with NATS and PostgreSQL from the environment', () => {
  const namespace = uniqueNamespace('start');
  const schema = uniqueNamespace('start_');
  const names = namesFor(namespace);
  const servicePids: number[] = [];
  let dataDir: string;
  let s3Port: number;
  let launcher: Launcher;
  let nc: NatsConnection;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launcher-'));
    s3Port = await freePort();
    launcher = startLauncher({
      DATA_DIR: dataDir,
      NATS_URL: process.env.NATS_URL!,
      DATABASE_URL: process.env.DATABASE_URL!,
      NATS_NAMESPACE: namespace,
      DATABASE_SCHEMA: schema,
      // Its own s3rver on a free port.
      S3_ENDPOINT: '',
      S3_PORT: String(s3Port),
      GATEWAY_PORT: String(await freePort()),
      AUTH_JWT_SECRET: '',
      SERVICES: 'orchestrator,worker',
      RESTART_BASE_DELAY_MS: '300',
    });
    await launcher.waitFor(/\[start\] all started/, 0, 150_000);
    nc = await connect({ servers: process.env.NATS_URL! });
  }, 180_000);

  afterAll(async () => {
    if (launcher.child.exitCode === null) launcher.child.kill('SIGKILL');
    for (const pid of servicePids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await removeNamespace(nc, namespace);
    await nc.close();
    await removeRun(schema, dataDir);
  });

  it('prints a dev token signed with the secret it keeps in DATA_DIR', async () => {
    const [, token] = await launcher.waitFor(/export BATCH_API_TOKEN=(\S+)/);
    const secret = (await readFile(join(dataDir, 'auth-secret'), 'utf8')).trim();
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    expect(payload.sub).toBe('dev-user');
    // DEV_TOKEN_TTL's default, 30 days (jose reads the clock for iat and exp separately).
    expect(payload.exp! - payload.iat!).toBeGreaterThanOrEqual(30 * 24 * 3600);
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(30 * 24 * 3600 + 1);
  });

  it('uses the servers it was given and starts its own S3', async () => {
    expect((await launcher.waitFor(/^\s+NATS\s+(.*)$/))[1]).toContain('(from NATS_URL)');
    expect((await launcher.waitFor(/^\s+PostgreSQL\s+(.*)$/))[1]).toContain('(from DATABASE_URL)');
    expect((await launcher.waitFor(/^\s+S3\s+(.*)$/))[1]).toContain('started: s3rver');
    expect(await isListening('127.0.0.1', s3Port)).toBe(true);
  });

  it('runs the orchestrator, with the schema migrated', async () => {
    servicePids.push(await pidOf(launcher, 'orchestrator'), await pidOf(launcher, 'worker'));
    const reply = await request<Page<BatchView>>(nc, names.query('list'), { userId: 'dev-user' });
    expect(reply).toEqual({ ok: true, result: expect.objectContaining({ items: [] }) });
  });

  it('restarts a worker that dies, says so, and the new worker works', async () => {
    const workerPid = await pidOf(launcher, 'worker');
    const from = launcher.lines.length;
    process.kill(workerPid, 'SIGKILL');
    await launcher.waitFor(
      new RegExp(`worker \\(pid ${workerPid}\\) was killed by SIGKILL after .*; restarting in 300 ms`),
      from,
    );
    const restartedPid = await pidOf(launcher, 'worker', from);
    servicePids.push(restartedPid);
    expect(restartedPid).not.toBe(workerPid);

    const watcher = await watchEvents(nc, names);
    const created = await request<BatchView>(nc, names.command('create'), {
      userId: 'dev-user',
      items: [1, 2, 3].map((index) => ({ id: `item-${index}`, topic: `topic ${index}` })),
    });
    expect(created.ok).toBe(true);
    await watcher.until((events) => events.some((event) => event.type === 'BatchCompleted'));
    await watcher.close();
  }, 90_000);

  it('on SIGINT stops every process it started, leaves the given servers alone, and exits 0', async () => {
    launcher.child.kill('SIGINT');
    expect(await launcher.exitCode).toBe(0);
    expect(launcher.lines).toContain('[start] stopped');
    expect(servicePids.filter(isAlive)).toEqual([]);
    expect(await isListening('127.0.0.1', s3Port)).toBe(false);
    const nats = new URL(process.env.NATS_URL!.replace('nats://', 'http://'));
    expect(await isListening(nats.hostname, Number(nats.port))).toBe(true);
  }, 60_000);
});

describe('npm run dev: the services from their sources, restarted when one changes', () => {
  const namespace = uniqueNamespace('dev');
  const schema = uniqueNamespace('dev_');
  let dataDir: string;
  let launcher: Launcher;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'launcher-dev-'));
    launcher = startLauncher({
      START_MODE: 'dev',
      DATA_DIR: dataDir,
      NATS_URL: process.env.NATS_URL!,
      DATABASE_URL: process.env.DATABASE_URL!,
      S3_ENDPOINT: process.env.S3_ENDPOINT ?? '',
      S3_PORT: String(await freePort()),
      NATS_NAMESPACE: namespace,
      DATABASE_SCHEMA: schema,
      GATEWAY_PORT: String(await freePort()),
      SERVICES: 'orchestrator',
      SHOW_LOG_LEVEL: 'info',
    });
    await launcher.waitFor(/\[start\] all started/, 0, 150_000);
  }, 180_000);

  afterAll(async () => {
    if (launcher.child.exitCode === null) launcher.child.kill('SIGINT');
    await launcher.exitCode;
    const nc = await connect({ servers: process.env.NATS_URL! });
    await removeNamespace(nc, namespace);
    await nc.close();
    await removeRun(schema, dataDir);
  });

  it('runs the orchestrator from its TypeScript sources', async () => {
    expect(launcher.lines).toContain('[start] starting orchestrator (apps/batch-orchestrator/src/main.ts)');
    expect(launcher.lines.some((line) => line.startsWith('[start] built the services'))).toBe(false);
  });

  it('restarts it when a source it imported changes, from a lib too', async () => {
    const from = launcher.lines.length;
    const source = join(repositoryRoot, 'libs/batch-domain/src/index.ts');
    const now = new Date();
    await utimes(source, now, now);
    await launcher.waitFor(/Restarting 'apps\/batch-orchestrator\/src\/main\.ts'/, from);
    await launcher.waitFor(/\[orchestrator\] .*batch-orchestrator ready/, from);
  }, 60_000);
});
