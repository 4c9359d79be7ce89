import { BATCHES, setting, type ApiPlatform } from './api-platform.js';
import { watchCpu } from './cpu-usage.js';
import { httpLoad, pacedLoad, type LoadResult } from './http-load.js';
import { sampleRss } from './rss-sampler.js';

const SECONDS = setting('BENCH_API_SECONDS', 20);
const MAX_SECONDS = setting('BENCH_API_MAX_SECONDS', 10);
const RATE = setting('BENCH_API_RATE', 500);
const CONNECTIONS = setting('BENCH_API_CONNECTIONS', 20);

const count = (value: number) => value.toLocaleString('en-US');

export const LOAD_HEAD = [
  'load',
  'req/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'max ms',
  'non-2xx',
  'errors',
  'gateway peak RSS MiB',
  'CPU cores gateway / orchestrator / NATS+PG / bench',
  'CPU cores others',
  'machine busy',
];

export interface LoadRows {
  rows: string[][];
  /** Most CPU other programs took during a load: above ~0.1 core, they disturbed the figures. */
  othersCores: number;
}

/** Runs one load while sampling the gateway's RSS and the CPU of everything; answers a row of the table. */
async function measured(
  platform: ApiPlatform,
  name: string,
  run: () => Promise<LoadResult>,
): Promise<{ row: string[]; othersCores: number }> {
  const gatewayPid = platform.gateway.child.pid!;
  const rss = sampleRss(gatewayPid);
  const cpu = watchCpu([gatewayPid, platform.orchestrator.child.pid!]);
  const result = await run();
  const usage = rss.stop();
  const { cores, serversCores, benchCores, othersCores, machineBusy } = cpu.stop();
  const row = [
    name,
    count(result.perSecond),
    ...[result.p50, result.p90, result.p99, result.max].map(String),
    count(result.non2xx),
    count(result.errors),
    String(usage.peakMib),
    [...cores, serversCores, benchCores].map((value) => value.toFixed(2)).join(' / '),
    othersCores.toFixed(2),
    `${Math.round(machineBusy * 100)} %`,
  ];
  return { row, othersCores };
}

/**
 * Each endpoint three ways: autocannon's `overallRate` (which sends each second's share in a burst
 * over all connections), the same rate evenly paced (open loop), and autocannon flat out. Then the
 * gateway alone (GET /healthz: no token, no NATS) as a baseline for the HTTP and Nest part.
 */
export async function loadRows(platform: ApiPlatform, batchId: string, listSize: number): Promise<LoadRows> {
  const headers = { authorization: `Bearer ${platform.token}` };
  const endpoints = [
    { name: `GET ${BATCHES}/:id`, url: `${platform.baseUrl}${BATCHES}/${batchId}` },
    { name: `GET ${BATCHES} (${listSize} batches)`, url: `${platform.baseUrl}${BATCHES}` },
  ];
  // Warm-up (not reported): JIT, connection pools.
  await httpLoad({ url: endpoints[0]!.url, headers, seconds: 3, connections: 10 });
  const runs: { row: string[]; othersCores: number }[] = [];
  for (const { name, url } of endpoints) {
    runs.push(
      await measured(
        platform,
        `${name}, ${RATE}/s autocannon (bursts), ${CONNECTIONS} conns, ${SECONDS} s`,
        () => httpLoad({ url, headers, seconds: SECONDS, connections: CONNECTIONS, rate: RATE }),
      ),
      await measured(platform, `${name}, ${RATE}/s evenly paced, ${SECONDS} s`, () =>
        pacedLoad({ url, headers, seconds: SECONDS, rate: RATE }),
      ),
      await measured(platform, `${name}, max rate, ${CONNECTIONS} conns, ${MAX_SECONDS} s`, () =>
        httpLoad({ url, headers, seconds: MAX_SECONDS, connections: CONNECTIONS }),
      ),
    );
  }
  runs.push(
    await measured(
      platform,
      `GET /healthz (no auth, no NATS), ${RATE}/s evenly paced, ${MAX_SECONDS} s`,
      () => pacedLoad({ url: `${platform.baseUrl}/healthz`, headers: {}, seconds: MAX_SECONDS, rate: RATE }),
    ),
  );
  return {
    rows: runs.map((run) => run.row),
    othersCores: Math.max(...runs.map((run) => run.othersCores)),
  };
}
