import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sampleRss, type UsageSummary } from './rss-sampler.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const batchctl = fileURLToPath(new URL('../../node_modules/.bin/batchctl', import.meta.url));

/** Writes `count` JSONL items `{id: 'item-N', topic: 'topic number N'}`; answers the file's size. */
export async function writeItemsFile(path: string, count: number): Promise<number> {
  const file = createWriteStream(path);
  for (let start = 0; start < count; start += 10_000) {
    let lines = '';
    for (let index = start; index < Math.min(count, start + 10_000); index++)
      lines += `${JSON.stringify({ id: `item-${index}`, topic: `topic number ${index}` })}\n`;
    if (!file.write(lines)) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
  return (await stat(path)).size;
}

export interface CliRun {
  ms: number;
  stdout: string;
  /** The CLI's processes (the npm bin launcher and the CLI it spawns), sampled every 250 ms. */
  usage: UsageSummary;
}

/** Runs `node_modules/.bin/batchctl <args>` against the gateway, timed from spawn to exit. */
export async function runBatchctl(args: string[], apiUrl: string, token: string): Promise<CliRun> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [batchctl, ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, BATCH_API_URL: apiUrl, BATCH_API_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sampler = sampleRss(child.pid!, { tree: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const ms = performance.now() - startedAt;
  const usage = sampler.stop();
  if (code !== 0) throw new Error(`batchctl ${args.join(' ')} exited ${code}:\n${stderr}`);
  return { ms, stdout: stdout.trim(), usage };
}
