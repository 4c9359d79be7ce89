import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ResultLine } from '@batch/client';
import { startPlatform, type Platform } from '@batch/testing';
import { restOnlyProxy } from './proxies.spec-helpers.js';

jest.setTimeout(180_000);

const launcher = fileURLToPath(new URL('../bin/batchctl.mjs', import.meta.url));
const ITEMS = 2_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let platform: Platform;
let directory: string;
let cliEnv: Record<string, string>;

interface Running {
  child: ReturnType<typeof spawn>;
  done: Promise<Run>;
  /** Resolves once stderr contains `text`; rejects if the command ends first. */
  stderrHas(text: string): Promise<void>;
}

/** The CLI as a user runs it (`npx batchctl`): its bin launcher, in the user's directory. */
function startBatchctl(...args: string[]): Running {
  const child = spawn(process.execPath, [launcher, ...args], {
    cwd: directory,
    env: { ...process.env, ...cliEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, ...out }));
  });
  const stderrHas = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!out.stderr.includes(text)) return;
        child.stderr!.off('data', check);
        resolve();
      };
      child.stderr!.on('data', check);
      check();
      void done.then((run) =>
        reject(new Error(`batchctl ended (${run.code}) before printing "${text}":\n${run.stderr}`)),
      );
    });
  return { child, done, stderrHas };
}

const batchctl = (...args: string[]): Promise<Run> => startBatchctl(...args).done;

const lines = (count: number) =>
  Array.from({ length: count }, (_, index) => JSON.stringify({ topic: `topic ${index}` }));

beforeAll(async () => {
  platform = await startPlatform();
  const { token } = await platform.as('batchctl-user');
  cliEnv = { BATCH_API_URL: platform.baseUrl, BATCH_API_TOKEN: token };
  directory = await mkdtemp(join(tmpdir(), 'batchctl-e2e-'));
}, 120_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
  await platform?.close();
});

describe('batchctl against the gateway, orchestrator and worker', () => {
  it('creates a batch from a 2,000-line JSONL file, watches it complete and exports every result', async () => {
    const lines = Array.from({ length: ITEMS }, (_, index) =>
      JSON.stringify(
        index % 2 === 0 ? { id: `item-${index}`, topic: `topic ${index}` } : { topic: `topic ${index}` },
      ),
    );
    await writeFile(join(directory, 'items.jsonl'), `${lines.join('\n')}\n`);

    const created = await batchctl('create', 'items.jsonl', '--name', 'from the CLI');
    expect(created).toMatchObject({ code: 0 });
    const batchId = created.stdout.trim();
    expect(batchId).toMatch(/^[A-Za-z0-9_-]+$/);

    const watched = await batchctl('watch', batchId);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(
      new RegExp(`batch ${batchId} completed.*: ${ITEMS} completed, 0 failed of ${ITEMS}`),
    );

    const exported = await batchctl('export', batchId, '--out', 'results.jsonl');
    expect(exported).toMatchObject({ code: 0, stderr: `exported ${ITEMS} results to results.jsonl\n` });
    const results = (await readFile(join(directory, 'results.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ResultLine);
    expect(results).toHaveLength(ITEMS);
    // Ids as the file gave them, or its 1-based line number where it gave none.
    const expectedIds = lines.map((_, index) => (index % 2 === 0 ? `item-${index}` : String(index + 1)));
    expect(new Set(results.map((result) => result.item_id))).toEqual(new Set(expectedIds));
  });

  it('creates a templated batch from CSV columns and exports it as ShareGPT and Parquet', async () => {
    const config = JSON.stringify({ userPromptTemplate: 'Explain {{topic}} to {{parameters.audience}}' });
    await writeFile(join(directory, 'lacking.csv'), 'id,topic,audience\nc1,tides,kids\nc2,waves,\n');
    const refused = await batchctl('create', 'lacking.csv', '--config', config);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'item c2 has no value for {{parameters.audience}} used in userPromptTemplate',
    );

    await writeFile(join(directory, 'audiences.csv'), 'id,topic,audience\nc1,tides,kids\nc2,waves,sailors\n');
    const created = await batchctl('create', 'audiences.csv', '--config', config, '--watch');
    expect(created.code).toBe(0);
    const batchId = created.stdout.trim().split('\n')[0]!;

    const sharegpt = await batchctl('export', batchId, '--format', 'sharegpt');
    expect(sharegpt).toMatchObject({ code: 0, stderr: 'exported 2 sharegpt conversations\n' });
    const conversations = sharegpt.stdout
      .trimEnd()
      .split('\n')
      .map(
        (line) => (JSON.parse(line) as { conversations: { from: string; value: string }[] }).conversations,
      );
    expect(conversations.map((turns) => turns.find((turn) => turn.from === 'human')?.value)).toEqual([
      'Explain tides to kids',
      'Explain waves to sailors',
    ]);

    const parquet = await batchctl('export', batchId, '--format', 'parquet', '--out', 'set.parquet');
    expect(parquet.code).toBe(0);
    expect(parquet.stderr).toMatch(/^exported \d+ bytes of Parquet to set\.parquet\n$/);
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const read = await connection.runAndReadAll(
      `SELECT item_id, len(messages) AS turns FROM read_parquet('${join(directory, 'set.parquet')}') ORDER BY item_id`,
    );
    expect(read.getRowObjectsJson()).toEqual([
      { item_id: 'c1', turns: String(conversations[0]!.length) },
      { item_id: 'c2', turns: String(conversations[1]!.length) },
    ]);
    connection.closeSync();
    duck.closeSync();

    const wrongScope = await batchctl('export', batchId, '--only', 'some');
    expect(wrongScope.code).toBe(1);
    expect(wrongScope.stderr).toContain('--only');
  });

  it('watches a batch live over WebSocket notifications until it completes; an ended batch ends at once', async () => {
    await writeFile(join(directory, 'live.jsonl'), `${lines(500).join('\n')}\n`);
    const created = await batchctl('create', 'live.jsonl', '--no-start');
    const batchId = created.stdout.trim();
    const watch = startBatchctl('watch', batchId);
    await watch.stderrHas(`following ${batchId} live over WebSocket notifications`);
    expect(await batchctl('start', batchId)).toMatchObject({ code: 0 });

    const watched = await watch.done;
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(
      new RegExp(`^batch ${batchId} completed.*: 500 completed, 0 failed of 500;`),
    );
    expect(watched.stderr).not.toContain('polling');

    const again = await batchctl('watch', batchId);
    expect(again).toMatchObject({ code: 0, stdout: watched.stdout, stderr: '' });
  });

  it("prints a batch's error notifications on stderr and exits 1 when every item failed", async () => {
    const failing = Array.from({ length: 20 }, (_, index) =>
      JSON.stringify({ topic: `topic ${index}`, parameters: { simulateError: 'permanent', latencyMs: 50 } }),
    );
    await writeFile(join(directory, 'failing.jsonl'), `${failing.join('\n')}\n`);
    const batchId = (await batchctl('create', 'failing.jsonl', '--no-start')).stdout.trim();
    const watch = startBatchctl('watch', batchId);
    await watch.stderrHas('following');
    expect(await batchctl('start', batchId)).toMatchObject({ code: 0 });

    const watched = await watch.done;
    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(new RegExp(`^batch ${batchId} failed.*: 0 completed, 20 failed of 20;`));
    expect(watched.stderr).toMatch(
      /^\w+ simulated_permanent \(permanent\): .+\[item \d+(, repeated \d+ times?)?\]$/m,
    );
  });

  it('falls back to polling, saying so once, when the gateway does not take WebSockets', async () => {
    const proxy = await restOnlyProxy(platform.baseUrl);
    try {
      await writeFile(join(directory, 'polled.jsonl'), `${lines(200).join('\n')}\n`);
      const batchId = (await batchctl('create', 'polled.jsonl', '--no-start')).stdout.trim();
      const watch = startBatchctl('watch', batchId, '--url', proxy.baseUrl);
      await watch.stderrHas('polling every second');
      expect(await batchctl('start', batchId)).toMatchObject({ code: 0 });

      const watched = await watch.done;
      expect(watched.code).toBe(0);
      expect(watched.stdout).toMatch(
        new RegExp(`^batch ${batchId} completed.*: 200 completed, 0 failed of 200;`),
      );
      expect(watched.stderr).toMatch(
        /^notifications unavailable \(cannot connect: .*404.*\): polling every second\n$/,
      );
    } finally {
      await proxy.close();
    }
  });

  it('polls when told to (--poll), also for create --watch', async () => {
    await writeFile(join(directory, 'forced.jsonl'), `${lines(100).join('\n')}\n`);
    const run = await batchctl('create', 'forced.jsonl', '--watch', '--poll');
    expect(run.code).toBe(0);
    const [batchId, summary] = run.stdout.trimEnd().split('\n');
    expect(summary).toMatch(new RegExp(`^batch ${batchId} completed.*: 100 completed, 0 failed of 100;`));
    expect(run.stderr).not.toContain('following');
  });

  it('stops an upload on Ctrl-C, discards the partly uploaded batch and exits 130', async () => {
    const lines = Array.from({ length: 500_000 }, (_, index) => JSON.stringify({ topic: `topic ${index}` }));
    await writeFile(join(directory, 'large.jsonl'), `${lines.join('\n')}\n`);
    const run = startBatchctl('create', 'large.jsonl', '--name', 'interrupted upload');
    // The first chunk (100,000 items) has created the batch: the upload is under way.
    await platform.watcher.until((events) =>
      events.some((event) => event.type === 'BatchCreated' && event.data.name === 'interrupted upload'),
    );
    const batchId = platform.watcher.events.find(
      (event) => event.type === 'BatchCreated' && event.data.name === 'interrupted upload',
    )!.batchId;
    run.child.kill('SIGINT');

    const interrupted = await run.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain(
      'interrupted: the upload stopped and the partly uploaded batch was discarded',
    );
    expect(interrupted.stdout).toBe('');
    await platform.watcher.until((events) =>
      events.some((event) => event.batchId === batchId && event.type === 'BatchDiscarded'),
    );
    expect(
      platform.watcher.events.some((event) => event.batchId === batchId && event.type === 'BatchStarted'),
    ).toBe(false);
  });

  it('reports an API error as its code and message, with exit code 1 and no stack trace', async () => {
    const run = await batchctl('status', 'no-such-batch');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: not_found: .+\n$/);
  });
});
