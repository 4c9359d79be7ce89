import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCHES, setting, type ApiPlatform } from './api-platform.js';
import { runBatchctl, writeItemsFile } from './batchctl-runner.js';
import { mib, rate, type Figure } from './report.js';
import { sampleRss } from './rss-sampler.js';

const REST_ITEMS = setting('BENCH_API_ITEMS', 100_000);
const CLI_ITEMS = setting('BENCH_CLI_ITEMS', 1_000_000);

const count = (value: number) => value.toLocaleString('en-US');
export const itemsOf = (size: number) =>
  Array.from({ length: size }, (_, index) => ({ id: `item-${index}`, topic: `topic number ${index}` }));

/** Runs `task` while asking for `/healthz` one request after another: the latencies of those asked meanwhile. */
async function healthWhile<T>(
  baseUrl: string,
  task: Promise<T>,
): Promise<{ result: T; latencies: number[] }> {
  let done = false;
  const finished = task.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const sentAt = performance.now();
    await fetch(`${baseUrl}/healthz`).then((response) => response.text());
    latencies.push(performance.now() - sentAt);
  }
  return { result: await finished, latencies: latencies.sort((a, b) => a - b) };
}

const p99 = (sorted: number[]) =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0);

/**
 * One POST with all the items (autoStart false), timed to the answer, with `/healthz` asked for all
 * along; then the same with 60 MB of larger items. The batches are discarded after.
 */
export async function restCreate(platform: ApiPlatform): Promise<Figure[]> {
  const figures: Figure[] = [];
  const sizes = [
    { label: count(REST_ITEMS), items: itemsOf(REST_ITEMS) },
    {
      label: `${count(100_000)} × 600-byte`,
      items: itemsOf(100_000).map((item) => ({ ...item, topic: `${item.topic} ${'x'.repeat(570)}` })),
    },
  ];
  for (const { label, items } of sizes) {
    const body = { name: 'bench-rest', items, autoStart: false };
    const gateway = sampleRss(platform.gateway.child.pid!);
    const startedAt = performance.now();
    const { result: batch, latencies } = await healthWhile(
      platform.baseUrl,
      platform.client.createBatch(body),
    );
    const ms = performance.now() - startedAt;
    const usage = gateway.stop();
    await platform.client.discardBatch(batch.batch_id);
    figures.push(
      {
        name: `create a ${label}-item batch: one POST ${BATCHES}`,
        value: Math.round(ms),
        unit: 'ms',
        note: `body ${mib(Buffer.byteLength(JSON.stringify(body)))} MiB, ${count(rate(items.length, ms))} items/s, autoStart false`,
      },
      { name: 'gateway peak RSS during that POST', value: usage.peakMib, unit: 'MiB' },
      {
        name: 'GET /healthz p99 / max during that POST',
        value: p99(latencies),
        unit: 'ms',
        note: `max ${Math.round(latencies.at(-1) ?? 0)} ms over ${latencies.length} requests, one at a time`,
      },
    );
  }
  return figures;
}

/** `batchctl create <file> --no-start` on a JSONL file of CLI_ITEMS lines; the batch is discarded after. */
export async function cliCreate(platform: ApiPlatform): Promise<Figure[]> {
  const directory = await mkdtemp(join(tmpdir(), 'bench-cli-'));
  try {
    const file = join(directory, 'items.jsonl');
    const bytes = await writeItemsFile(file, CLI_ITEMS);
    const startUp = await runBatchctl(['--help'], platform.baseUrl, platform.token);
    const gateway = sampleRss(platform.gateway.child.pid!);
    const run = await runBatchctl(['create', file, '--no-start'], platform.baseUrl, platform.token);
    const gatewayUsage = gateway.stop();
    await platform.client.discardBatch(run.stdout);
    return [
      {
        name: `batchctl create: ${count(CLI_ITEMS)}-line JSONL, --no-start`,
        value: Math.round(run.ms / 100) / 10,
        unit: 's',
        note: `${count(rate(CLI_ITEMS, run.ms))} items/s, file ${mib(bytes)} MiB, spawn to exit`,
      },
      {
        name: 'batchctl start-up alone (batchctl --help)',
        value: Math.round(startUp.ms),
        unit: 'ms',
        note: 'launcher + CLI process, TypeScript loaded by swc',
      },
      {
        name: 'batchctl peak RSS (the CLI process)',
        value: run.usage.peakMib,
        unit: 'MiB',
        note: `${run.usage.peakTreeMib} MiB with its npm-bin launcher; sampled every 250 ms`,
      },
      { name: 'gateway peak RSS during that upload', value: gatewayUsage.peakMib, unit: 'MiB' },
    ];
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
