import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_RATE_LIMIT, BENCH_RATE_WINDOW_MS, setting, startApiPlatform } from './api-platform.js';
import { loadRows } from './api-load.js';
import { cliCreate, itemsOf, restCreate } from './api-uploads.js';
import { mib, type Figure } from './report.js';
import { peakRssMibOf, rssBytes } from './rss-sampler.js';

export { LOAD_HEAD } from './api-load.js';

const LIST_BATCHES = setting('BENCH_API_LIST_BATCHES', 50);

export interface ApiBenchReport {
  load: string[][];
  figures: Figure[];
}

export async function apiBench(namespace: string, natsUrl: string): Promise<ApiBenchReport> {
  const platform = await startApiPlatform(namespace, natsUrl);
  try {
    const batchIds: string[] = [];
    for (let index = 0; index < LIST_BATCHES; index++) {
      const batch = await platform.client.createBatch({
        name: `bench-${index}`,
        items: itemsOf(10),
        autoStart: false,
      });
      batchIds.push(batch.batch_id);
    }
    const restingBefore = mib(rssBytes(platform.gateway.child.pid!));
    const load = await loadRows(platform, batchIds[0]!, LIST_BATCHES);
    await sleep(3_000);
    const restingAfter = mib(rssBytes(platform.gateway.child.pid!));
    const figures: Figure[] = [
      {
        name: 'gateway RSS at rest, before the load',
        value: restingBefore,
        unit: 'MiB',
        note: `after start-up and creating ${LIST_BATCHES} batches`,
      },
      { name: 'gateway RSS at rest, 3 s after the load', value: restingAfter, unit: 'MiB' },
      ...(await restCreate(platform)),
      ...(await cliCreate(platform)),
    ];
    for (const batchId of batchIds) await platform.client.discardBatch(batchId);
    figures.push(
      {
        name: 'gateway peak RSS over the whole section (VmHWM)',
        value: peakRssMibOf(platform.gateway.child.pid!),
        unit: 'MiB',
        note: 'start-up, load, uploads',
      },
      {
        name: 'gateway per-user rate limit, lifted for the bench',
        value: BENCH_RATE_LIMIT,
        unit: `requests/${BENCH_RATE_WINDOW_MS / 1000} s`,
        note: 'RATE_LIMIT_REQUESTS; the default 100 per 1 s would answer 429 at 500/s from one user',
      },
      {
        name: 'CPU taken by other programs during a load, at most',
        value: load.othersCores,
        unit: 'cores',
        note: load.othersCores > 0.1 ? 'another run on the machine disturbed the figures' : 'undisturbed',
      },
    );
    return { load: load.rows, figures };
  } finally {
    await platform.close();
  }
}
