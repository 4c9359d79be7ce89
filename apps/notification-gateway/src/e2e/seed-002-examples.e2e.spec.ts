import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type {
  BatchEvent,
  BatchView,
  SeedBatchList,
  SeedBatchStatus,
  SeedStartResult,
} from '@batch/contracts';
import { isListening, startPlatform, type Caller, type Platform } from '@batch/testing';

/**
 * Seed 002's own Python and JavaScript examples (copied verbatim into ./seed-002) run unchanged
 * against a gateway on the port they hardcode; only the bearer token comes from outside the code.
 */

const PORT = 5100;
const FIXTURES = fileURLToPath(new URL('./seed-002/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

/** Quick Start 1's first lines: Use Cases 2 and 4 use `requests` and `BASE_URL` from them. */
const SEED_SETUP = 'import requests\n\nBASE_URL = "http://localhost:5100"\n';

/** Runs a fixture as is, after the seed's setup lines, in one namespace (the seed's reading order). */
const RUN_AFTER_SETUP = [
  'import runpy, sys',
  'setup = {}',
  'exec(sys.argv[2], setup)',
  'runpy.run_path(sys.argv[1], init_globals=setup, run_name="__main__")',
].join('\n');

/** Adds the token to every request of `requests`, from outside the examples' code. */
const SITECUSTOMIZE = `import os
import requests
from requests.structures import CaseInsensitiveDict

_token = os.environ["SEED_TOKEN"]
_request = requests.Session.request


def _request_with_token(self, method, url, *args, **kwargs):
    headers = CaseInsensitiveDict(kwargs.pop("headers", None) or {})
    headers.setdefault("Authorization", f"Bearer {_token}")
    return _request(self, method, url, *args, headers=headers, **kwargs)


requests.Session.request = _request_with_token
`;

/** Adds the token to every `fetch`, from outside the example's code (`node --import`). */
const FETCH_PRELOAD = `const token = process.env.SEED_TOKEN;
if (!token) throw new Error('SEED_TOKEN is not set');
const fetchWithoutToken = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', \`Bearer \${token}\`);
  return fetchWithoutToken(input, { ...init, headers });
};
`;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** Runs a program to its exit (SIGKILL after `timeoutMs`), collecting what it printed. */
function run(command: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut, stdout, stderr: `${stderr}${error.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

/** Fails with everything the example printed unless it exited 0 in time. */
function expectSuccess(name: string, result: Run): void {
  if (result.code === 0 && !result.timedOut && !result.stderr.includes('Error in sitecustomize')) return;
  const how = result.timedOut ? 'timed out' : `exited ${result.code ?? result.signal}`;
  throw new Error(`${name} ${how}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
}

/** Port 5100 must be free: the examples are run as written, so they can only reach a gateway there. */
async function ensurePortFree(port: number): Promise<void> {
  const taken = (reason: string) =>
    new Error(
      `port ${port} is taken on this machine (${reason}): seed 002's examples hardcode ` +
        `BASE_URL = "http://localhost:${port}" and run unchanged, so this test needs its own gateway ` +
        `there; stop whatever listens on ${port} and run it again`,
    );
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => reject(taken(error.code ?? error.message)));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve()));
  });
  for (const host of ['127.0.0.1', '::1'])
    if (await isListening(host, port)) throw taken(`something listens on ${host}`);
}

let platform: Platform;
let baseUrl: string;
let temp: string;
let pythonChecked: Promise<void> | undefined;

beforeAll(async () => {
  await ensurePortFree(PORT);
  temp = await mkdtemp(join(tmpdir(), 'seed-002-'));
  await writeFile(join(temp, 'sitecustomize.py'), SITECUSTOMIZE);
  await writeFile(join(temp, 'add-token.mjs'), FETCH_PRELOAD);
  platform = await startPlatform();
  ({ baseUrl } = await platform.gateway({ GATEWAY_PORT: String(PORT) }));
}, 120_000);
afterAll(async () => {
  await platform?.close();
  if (temp) await rm(temp, { recursive: true, force: true });
});

/** The Python examples need python3 with requests: without them they fail here, loudly, never skip. */
function requirePython(): Promise<void> {
  pythonChecked ??= run('python3', ['-c', 'import requests'], {}, 30_000).then((result) => {
    if (result.code !== 0)
      throw new Error(
        `seed 002's Python examples need python3 with requests: \`python3 -c "import requests"\` ` +
          `${result.timedOut ? 'timed out' : `exited ${result.code ?? result.signal}`}\n${result.stderr}`,
      );
  });
  return pythonChecked;
}

const pythonEnv = (token: string) => ({
  PYTHONPATH: [temp, process.env.PYTHONPATH].filter(Boolean).join(delimiter),
  PYTHONDONTWRITEBYTECODE: '1',
  SEED_TOKEN: token,
});

async function runPython(name: string, caller: Caller): Promise<Run> {
  await requirePython();
  const result = await run('python3', [fixture(name)], pythonEnv(caller.token), 30_000);
  expectSuccess(name, result);
  return result;
}

/** Use Cases 2 and 4: the file itself, after Quick Start 1's `import requests` and `BASE_URL`. */
async function runUseCase(name: string, caller: Caller): Promise<Run> {
  await requirePython();
  expect(await readFile(fixture('quick_start.py'), 'utf8')).toContain(SEED_SETUP);
  const result = await run(
    'python3',
    ['-c', RUN_AFTER_SETUP, fixture(name), SEED_SETUP],
    pythonEnv(caller.token),
    30_000,
  );
  expectSuccess(name, result);
  return result;
}

async function runJavaScript(name: string, caller: Caller): Promise<Run> {
  const preload = pathToFileURL(join(temp, 'add-token.mjs')).href;
  const result = await run(
    process.execPath,
    ['--import', preload, fixture(name)],
    { SEED_TOKEN: caller.token },
    60_000,
  );
  expectSuccess(name, result);
  return result;
}

const startedId = (stdout: string) => {
  const match = /^Batch started: (batch_\w+)$/m.exec(stdout);
  if (!match) throw new Error(`no "Batch started: batch_..." line in:\n${stdout}`);
  return match[1]!;
};

const has = (batchId: string, type: BatchEvent['type']) => (events: BatchEvent[]) =>
  events.some((event) => event.batchId === batchId && event.type === type);

const lifecycleOf = (batchId: string) =>
  platform.watcher.events
    .filter((event) => event.batchId === batchId && event.type.startsWith('Batch'))
    .map((event) => event.type);

async function statusOf(caller: Caller, batchId: string): Promise<SeedBatchStatus> {
  const answer = await caller.call<SeedBatchStatus>('GET', `/batch/${batchId}/status`);
  expect(answer.status).toBe(200);
  return answer.body;
}

const as = (sub: string) => platform.as(sub, baseUrl);

describe("seed 002's examples, unchanged, against a gateway on :5100 given a token", () => {
  it('example.js ("JavaScript/TypeScript Example") starts 5 photos and polls until "Batch completed!"', async () => {
    const user = await as('seed-js');
    const { stdout } = await runJavaScript('example.js', user);

    const batchId = startedId(stdout);
    expect(stdout).toMatch(
      /^Batch started: batch_\w+\n(Progress: \d+(\.\d+)?%\nStatus: running\n)*Progress: 100%\nStatus: completed\nBatch completed!\n$/,
    );
    expect(await statusOf(user, batchId)).toMatchObject({
      batch_id: batchId,
      session_id: null,
      status: 'completed',
      total_photos: 5,
      processed_count: 5,
      failed_count: 0,
      progress_percent: 100,
    });
  }, 90_000);

  it('quick_start.py (Quick Start 1-5) with a live worker: exits 0, and the batch ends as its printed calls say', async () => {
    const user = await as('seed-quick-start');
    const { stdout } = await runPython('quick_start.py', user);

    const batchId = startedId(stdout);
    expect(stdout).toMatch(/^Status: (running|completed)$/m);
    expect(stdout).toMatch(/^Progress: \d+(\.\d+)?%$/m);
    expect(stdout).toMatch(/^Processed: (\d|10)\/10$/m);
    expect(stdout).toMatch(/^Failed: 0$/m);
    // The photos may all be done before the pause: then pause, resume and cancel answer 409 and print nothing.
    const cancelled = stdout.includes('Batch cancelled successfully\n');
    if (!cancelled) await platform.watcher.until(has(batchId, 'BatchCompleted'));
    expect(await statusOf(user, batchId)).toMatchObject({
      session_id: 123,
      status: cancelled ? 'cancelled' : 'completed',
      total_photos: 10,
    });
    const view = await user.call<BatchView>('GET', `/api/v1/batches/${batchId}`);
    expect(view.body.config).toMatchObject({ preset: 'WhiteLayer_v4', blend: 60 });
  }, 90_000);

  it('use_case_4_cleanup.py removes the batch that ended 8 days ago, keeps the recent one', async () => {
    const user = await as('seed-cleanup');
    const start = async (photoIds: number[]) => {
      const answer = await user.call<SeedStartResult>('POST', '/batch/start', { photo_ids: photoIds });
      await platform.watcher.until(has(answer.body.batch_id, 'BatchCompleted'));
      // The status read waits for the read model: its row has ended by now.
      expect((await statusOf(user, answer.body.batch_id)).status).toBe('completed');
      return answer.body.batch_id;
    };
    const [old, recent] = [await start([1, 2]), await start([3])];
    const db = new pg.Client({ connectionString: platform.database.url });
    await db.connect();
    try {
      const backdated = await db.query(
        `UPDATE "${platform.database.schema}".batches SET ended_at = ended_at - interval '8 days'
          WHERE batch_id = $1 AND ended_at IS NOT NULL`,
        [old],
      );
      expect(backdated.rowCount).toBe(1);
    } finally {
      await db.end();
    }

    const { stdout } = await runUseCase('use_case_4_cleanup.py', user);

    expect(stdout).toBe('Cleaned up 1 old batches\n');
    expect((await user.call('GET', `/batch/${old}/status`)).status).toBe(404);
    expect((await statusOf(user, recent)).status).toBe('completed');
    const list = await user.call<SeedBatchList>('GET', '/batch/list');
    expect(list.body).toEqual({ batches: [expect.objectContaining({ batch_id: recent })], count: 1 });
  }, 90_000);

  describe('while no worker runs (started batches stay running, nothing done)', () => {
    beforeAll(() => platform.worker.stop(), 60_000);

    it('quick_start.py starts 10 photos with session 123 and config, then pauses, resumes and cancels it', async () => {
      const user = await as('seed-quick-start-held');
      const { stdout } = await runPython('quick_start.py', user);

      const batchId = startedId(stdout);
      expect(stdout).toBe(
        [
          `Batch started: ${batchId}`,
          'Status: running',
          'Progress: 0%',
          'Processed: 0/10',
          'Failed: 0',
          'Batch paused successfully',
          'Batch resumed successfully',
          'Batch cancelled successfully',
          '',
        ].join('\n'),
      );
      expect(await statusOf(user, batchId)).toMatchObject({
        batch_id: batchId,
        session_id: 123,
        status: 'cancelled',
        total_photos: 10,
        processed_count: 0,
      });
      const view = await user.call<BatchView>('GET', `/api/v1/batches/${batchId}`);
      expect(view.body.config).toMatchObject({ preset: 'WhiteLayer_v4', blend: 60, session_id: 123 });
      await platform.watcher.until(has(batchId, 'BatchCancelled'));
      expect(lifecycleOf(batchId)).toEqual([
        'BatchCreated',
        'BatchStarted',
        'BatchPaused',
        'BatchResumed',
        'BatchCancelled',
      ]);
    }, 90_000);

    it('use_case_2_recovery.py after a restart: counts the running batch, resumes the paused one; both then complete', async () => {
      const user = await as('seed-recovery');
      const start = async (photoIds: number[]) =>
        (await user.call<SeedStartResult>('POST', '/batch/start', { photo_ids: photoIds })).body.batch_id;
      const interrupted = await start([1, 2, 3]);
      const paused = await start([4, 5]);
      expect((await user.call('POST', `/batch/${paused}/pause`)).status).toBe(200);
      await platform.orchestrator.stop();
      await platform.restartOrchestrator();

      const { stdout } = await runUseCase('use_case_2_recovery.py', user);

      expect(stdout).toBe(`Recovered 1 interrupted batches\nResuming batch ${paused}\n`);
      expect((await statusOf(user, paused)).status).toBe('running');
      const list = await user.call<SeedBatchList>('GET', '/batch/list');
      expect(Object.keys(list.body).sort()).toEqual(['batches', 'count']);
      expect(list.body.count).toBe(2);
      expect(list.body.batches.map((batch) => batch.batch_id).sort()).toEqual([interrupted, paused].sort());
      for (const batch of list.body.batches)
        expect(batch).toMatchObject({
          status: 'running',
          total_photos: batch.batch_id === paused ? 2 : 3,
          processed_count: 0,
          progress_percent: 0,
        });

      await platform.restartWorker();
      await platform.watcher.until((events) =>
        [interrupted, paused].every((batchId) => has(batchId, 'BatchCompleted')(events)),
      );
      expect(await statusOf(user, interrupted)).toMatchObject({ status: 'completed', processed_count: 3 });
      expect(await statusOf(user, paused)).toMatchObject({ status: 'completed', processed_count: 2 });
    }, 120_000);
  });
});
