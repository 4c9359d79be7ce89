import { writeFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import pg from 'pg';
import { EXPORT_FORMATS } from '@batch/contracts';
import { peakRss } from '@batch/testing';
import { startApiPlatform } from './api-platform.js';
import { seedProse } from './backups.bench.js';
import { watchCpu } from './cpu-usage.js';
import { mib, rate, timed, type Figure } from './report.js';
import { rssBytes } from './rss-sampler.js';

/**
 * `BENCH_ONLY=exports`: the API platform's services as processes; BENCH_EXPORT_CONVERSATIONS
 * (100,000) conversations of 5 prose-like turns seeded into a batch, then exported in every format
 * through `GET /api/v1/batches/:id/results?format=`, each download read to its end by this process.
 * Per format: conversations/s, bytes, the gateway's CPU and how much its RSS grew (its peak reset
 * before each export).
 */
const CONVERSATIONS = Number(process.env.BENCH_EXPORT_CONVERSATIONS ?? 100_000);

/** Resets a process's peak RSS (VmHWM) to its current RSS and returns it. */
function resetPeakRss(pid: number): number {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return peakRss(pid);
}

async function drain(body: WebReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  await pipeline(
    Readable.fromWeb(body),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done();
      },
    }),
  );
  return bytes;
}

export async function exportsBench(parentNamespace: string, natsUrl: string): Promise<Figure[]> {
  const platform = await startApiPlatform(`${parentNamespace}_exports`, natsUrl);
  const { database, baseUrl, token } = platform;
  const db = new pg.Client({ connectionString: database.url, options: `-c search_path=${database.schema}` });
  try {
    const { batch_id: batchId } = await platform.client.createBatch({
      name: 'exports bench',
      items: [{ id: 'seed', topic: 'the batch the seeded conversations belong to' }],
      autoStart: false,
    });
    await db.connect();
    const seeded = await timed(() => seedProse(db, { userId: 'bench-user', batchId, count: CONVERSATIONS }));
    const pid = platform.gateway.child.pid!;
    const figures: Figure[] = [
      {
        name: 'seeded',
        value: CONVERSATIONS,
        unit: 'conversations',
        note: `5 turns each, in ${(seeded.ms / 1000).toFixed(1)} s; gateway RSS ${mib(rssBytes(pid))} MiB at rest`,
      },
    ];
    for (const format of EXPORT_FORMATS) {
      const before = resetPeakRss(pid);
      const cpu = watchCpu([pid]);
      const download = await timed(async () => {
        const response = await fetch(`${baseUrl}/api/v1/batches/${batchId}/results?format=${format}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (response.status !== 200)
          throw new Error(`${format}: ${response.status} ${await response.text()}`);
        return drain(response.body as WebReadableStream<Uint8Array>);
      });
      const cores = cpu.stop();
      figures.push({
        name: `export, ${format}`,
        value: rate(CONVERSATIONS, download.ms),
        unit: 'conversations/s',
        note:
          `${mib(download.result)} MiB in ${(download.ms / 1000).toFixed(1)} s; gateway ${cores.cores[0]} cores, ` +
          `RSS +${mib(peakRss(pid) - before)} MiB at most; machine ${Math.round(cores.machineBusy * 100)}% busy`,
      });
    }
    return figures;
  } finally {
    await db.end().catch(() => undefined);
    await platform.close();
  }
}
