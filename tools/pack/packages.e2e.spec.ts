import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { BatchView } from '@batch/client';
import { startPlatform, type Platform } from '@batch/testing';

jest.setTimeout(240_000);

const repository = fileURLToPath(new URL('../../', import.meta.url));
const ITEMS = 40;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; its exit code and output (a failing exit is an answer, not a throw). */
const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, ...out }));
  });

let platform: Platform;
let token: string;
let scratch: string;
let cliTarball: string;
let clientTarball: string;
/**
 * What a user's shell has: Node and npm on the PATH, nothing of this repository (no
 * NODE_OPTIONS, no export conditions, no INIT_CWD of an npm script run here).
 */
let userEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'packages-e2e-'));
  const packed = await promisify(execFile)(
    process.execPath,
    [join(repository, 'tools/pack/pack.mjs'), join(scratch, 'tarballs')],
    { cwd: repository },
  );
  [cliTarball, clientTarball] = packed.stdout.trim().split('\n') as [string, string];
  platform = await startPlatform();
  ({ token } = await platform.as('package-user'));
  userEnv = {
    PATH: [
      join(scratch, 'prefix', 'bin'),
      dirname(process.execPath),
      '/usr/local/bin',
      '/usr/bin',
      '/bin',
    ].join(':'),
    HOME: scratch,
    npm_config_cache: process.env['npm_config_cache'] ?? join(process.env['HOME'] ?? tmpdir(), '.npm'),
    BATCH_API_URL: platform.baseUrl,
    BATCH_API_TOKEN: token,
  };
}, 180_000);

afterAll(async () => {
  await platform?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('the batchctl package', () => {
  let work: string;
  const batchctl = (...args: string[]) => run('batchctl', args, work, userEnv);

  beforeAll(async () => {
    const installed = await run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        join(scratch, 'prefix'),
        '--offline',
        '--no-audit',
        '--no-fund',
        cliTarball,
      ],
      scratch,
      userEnv,
    );
    expect(installed).toMatchObject({ code: 0 });
    work = join(scratch, 'work');
    await mkdir(work);
  });

  it('installs as one file with no dependencies', async () => {
    const files = await readdir(join(scratch, 'prefix', 'lib', 'node_modules', 'batchctl'));
    expect(files.sort()).toEqual(['README.md', 'batchctl.mjs', 'package.json']);
  });

  it('answers --help from a directory outside the repository', async () => {
    const help = await batchctl('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: batchctl <command>/);
    expect(help.stdout).toContain('exit codes:');
  });

  it('creates a batch from a file in the user directory, watches it to the end and exports it', async () => {
    await writeFile(
      join(work, 'items.jsonl'),
      Array.from({ length: ITEMS }, (_, index) => JSON.stringify({ topic: `topic ${index}` })).join('\n'),
    );
    const created = await batchctl(
      'create',
      'items.jsonl',
      '--config',
      '{"provider":"template"}',
      '--watch',
      '--json',
    );
    expect(created.stderr).toContain(`with ${ITEMS} items, started`);
    expect(created.code).toBe(0);
    const batch = JSON.parse(created.stdout) as BatchView;
    expect(batch).toMatchObject({ status: 'completed', processed_count: ITEMS, failed_count: 0 });

    const status = await batchctl('status', batch.batch_id, '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ batch_id: batch.batch_id, status: 'completed' });

    const exported = await batchctl('export', batch.batch_id, '--format', 'openai', '--out', 'train.jsonl');
    expect(exported).toMatchObject({
      code: 0,
      stderr: `exported ${ITEMS} openai conversations to train.jsonl\n`,
    });
    const lines = (await readFile(join(work, 'train.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(ITEMS);
    for (const line of lines)
      expect(
        (JSON.parse(line) as { messages: { role: string }[] }).messages.map(({ role }) => role),
      ).toContain('assistant');
  });

  it('prints a bash completion script that completes commands, options and option values', async () => {
    const script = await batchctl('completion', 'bash');
    expect(script.code).toBe(0);
    await writeFile(join(work, 'batchctl.bash'), script.stdout);
    const complete = async (...words: string[]) => {
      const completed = await run(
        'bash',
        [
          '-c',
          `source batchctl.bash; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _batchctl; echo "\${COMPREPLY[@]}"`,
        ],
        work,
        userEnv,
      );
      return completed.stdout.trim().split(' ');
    };
    expect(await complete('batchctl', 'ex')).toEqual(['export']);
    expect(await complete('batchctl', 'export', 'id', '--fo')).toEqual(['--format']);
    expect(await complete('batchctl', 'export', 'id', '--format', '')).toEqual([
      'jsonl',
      'openai',
      'sharegpt',
      'parquet',
    ]);
    expect(await complete('batchctl', 'create', 'ite')).toEqual(['items.jsonl']);
  });
});

describe('the @batch/client package', () => {
  let project: string;

  beforeAll(async () => {
    project = join(scratch, 'client-project');
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'uses-client', private: true, type: 'module' }),
    );
    const installed = await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', clientTarball],
      project,
      userEnv,
    );
    expect(installed).toMatchObject({ code: 0 });
  });

  it('is imported by a fresh project and used against the gateway', async () => {
    await writeFile(
      join(project, 'main.mjs'),
      `import { createClient, isApiError, BatchConfig } from '@batch/client';
const client = createClient({ baseUrl: process.env.BATCH_API_URL, token: process.env.BATCH_API_TOKEN });
const created = await client.createBatch({ name: 'from a package', items: [{ id: 'tides', topic: 'tides' }], config: BatchConfig.parse({}) });
const fetched = await client.getBatch(created.batch_id);
const missing = await client.getBatch('no-such-batch').catch((error) => isApiError(error) && error.code);
console.log(JSON.stringify({ id: fetched.batch_id, name: fetched.name, total: fetched.total_items, missing }));
`,
    );
    const used = await run(process.execPath, ['main.mjs'], project, userEnv);
    expect(used.stderr).toBe('');
    const answer = JSON.parse(used.stdout) as { id: string; name: string; total: number; missing: string };
    expect(answer).toMatchObject({ name: 'from a package', total: 1, missing: 'not_found' });
  });

  it('carries its types: a typed use compiles and a wrong one does not', async () => {
    await writeFile(
      join(project, 'typed.ts'),
      `import { createClient, type BatchView, type ItemView } from '@batch/client';
const client = createClient({ baseUrl: 'http://localhost:3000', token: 't' });
export const status = async (id: string): Promise<BatchView['status']> => (await client.getBatch(id)).status;
export const topics = (items: ItemView[]): string[] => items.map((item) => item.topic);
// @ts-expect-error a batch id is a string
void client.getBatch(42);
`,
    );
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          lib: ['es2023', 'dom'],
          types: [],
        },
        files: ['typed.ts'],
      }),
    );
    const tsc = join(repository, 'node_modules/typescript/bin/tsc');
    const compiled = await run(process.execPath, [tsc, '-p', '.'], project, userEnv);
    expect(compiled).toMatchObject({ code: 0, stdout: '' });
  });

  it('bundles for a browser with no Node built-in', async () => {
    await writeFile(
      join(project, 'page.mjs'),
      `import { connectNotifications, createClient } from '@batch/client';
export const start = (token) => [createClient({ baseUrl: location.origin, token }), connectNotifications({ baseUrl: location.origin, token, topics: ['user'] })];
`,
    );
    const bundled = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { build } from 'rolldown';
const { output } = await build({ input: ${JSON.stringify(join(project, 'page.mjs'))}, platform: 'browser', write: false, logLevel: 'silent' });
process.stdout.write(output[0].code);`,
      ],
      repository,
      { ...userEnv, PATH: process.env['PATH'] },
    );
    expect(bundled.code).toBe(0);
    expect(bundled.stdout).toContain('connectNotifications');
    expect(bundled.stdout).not.toMatch(
      /from\s*["']node:|require\(["']node:|from\s*["'](fs|path|http|net|ws)["']/,
    );
    expect(bundled.stdout).not.toMatch(/^import .* from ["']zod["']/m);
  });
});
