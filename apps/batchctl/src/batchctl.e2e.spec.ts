import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ResultLine } from '@batch/client';
import { startPlatform, type Platform } from '@batch/testing';

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

/** The CLI as a user runs it (`npx batchctl`): its bin launcher, in the user's directory. */
function startBatchctl(...args: string[]): { child: ReturnType<typeof spawn>; done: Promise<Run> } {
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
  return { child, done };
}

const batchctl = (...args: string[]): Promise<Run> => startBatchctl(...args).done;

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
