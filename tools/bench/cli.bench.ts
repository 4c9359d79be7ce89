import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startApiPlatform } from './api-platform.js';
import type { Figure } from './report.js';
import { packCli } from '../pack/pack.mjs';

const repository = fileURLToPath(new URL('../../', import.meta.url));
/** Each command is run this many times, one after the other; the median and the slowest are printed. */
const RUNS = 11;

/** Spawn to exit of one run, in ms; a failing run fails the bench. */
const timedRun = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> =>
  new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(performance.now() - startedAt)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });

async function runsOf(name: string, note: string, run: () => Promise<number>): Promise<[Figure, Figure]> {
  const times: number[] = [];
  for (let index = 0; index < RUNS; index++) times.push(await run());
  times.sort((a, b) => a - b);
  return [
    { name: `${name}: median`, value: Math.round(times[Math.floor(RUNS / 2)]!), unit: 'ms', note },
    { name: `${name}: slowest`, value: Math.round(times[RUNS - 1]!), unit: 'ms', note: `of ${RUNS} runs` },
  ];
}

/**
 * How fast `batchctl` answers: the packaged CLI (`npm run pack`, installed with `npm install -g`
 * into a temporary prefix and run from outside the repository), the repository's launcher (`npx
 * batchctl`: a build check, then the built code) and the sources through swc-node (what every run
 * cost before the build), for `--help` and for `status` against a gateway on this machine.
 */
export async function cliBench(namespace: string, natsUrl: string): Promise<Figure[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'cli-bench-'));
  const platform = await startApiPlatform(namespace, natsUrl);
  try {
    const tarball = await packCli(join(scratch, 'tarballs'));
    const prefix = join(scratch, 'prefix');
    await promisify(execFile)('npm', ['install', '--global', '--prefix', prefix, '--offline', tarball]);
    const batch = await platform.client.createBatch({
      items: [{ id: 'a', topic: 'speed' }],
      config: { provider: 'template' },
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BATCH_API_URL: platform.baseUrl,
      BATCH_API_TOKEN: platform.token,
    };
    delete env['NODE_OPTIONS'];
    const ways: [string, string, string[], string][] = [
      ['installed package', join(prefix, 'bin', 'batchctl'), [], scratch],
      [
        'repository launcher (npx batchctl)',
        process.execPath,
        [join(repository, 'apps/batchctl/bin/batchctl.mjs')],
        scratch,
      ],
      [
        'sources through swc-node (npm run cli)',
        process.execPath,
        [
          '--conditions=@batch/source',
          '--import',
          '@swc-node/register/esm-register',
          join(repository, 'apps/batchctl/src/main.ts'),
        ],
        repository,
      ],
    ];
    const figures: Figure[] = [];
    for (const [way, command, args, cwd] of ways)
      for (const commandLine of [['--help'], ['status', batch.batch_id]])
        figures.push(
          ...(await runsOf(`batchctl ${commandLine[0]}, ${way}`, 'spawn to exit', () =>
            timedRun(command, [...args, ...commandLine], cwd, env),
          )),
        );
    return figures;
  } finally {
    await platform.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
