import { setTimeout as sleep } from 'node:timers/promises';
import { isApiError, type ApiError, type BatchClient, type BatchStatus, type BatchView } from '@batch/client';
import { connect, parseCommandLine, positionalsOf, type Command } from '../command-line.js';
import { settledOf, usageOf } from '../format.js';
import { watchProgress } from '../progress.js';
import { formatDuration, throughputMeter } from '../throughput.js';

const POLL_INTERVAL_MS = 1_000;
/** A gateway restart or a rate limit is waited out; this many failed polls in a row is not. */
const MAX_FAILED_POLLS = 30;

const ENDED: ReadonlySet<BatchStatus> = new Set(['completed', 'failed', 'cancelled']);

export const watchCommand: Command = {
  name: 'watch',
  usage: 'watch <batchId>',
  summary: 'follow a batch until it ends (exit 0 if it completed, 1 if it failed or was cancelled)',
  async run(args, { env }) {
    const { values, positionals } = parseCommandLine(watchCommand, args, {});
    const [batchId] = positionalsOf(watchCommand, positionals, ['batchId']);
    return watchUntilEnded(connect(values, env), batchId);
  },
};

/** Polls the batch about once a second with a live bar, prints a summary, answers the exit code. */
export async function watchUntilEnded(client: BatchClient, batchId: string): Promise<number> {
  let batch = await client.getBatch(batchId);
  const meter = throughputMeter();
  const bar = watchProgress(batch);
  const pace = (view: BatchView) => meter.sample(settledOf(view), view.total_items, Date.now());
  let failedPolls = 0;
  try {
    while (!ENDED.has(batch.status)) {
      await sleep(POLL_INTERVAL_MS);
      try {
        batch = await client.getBatch(batchId);
        failedPolls = 0;
        bar.update(batch, pace(batch));
      } catch (error) {
        failedPolls += 1;
        if (!isTransient(error) || failedPolls >= MAX_FAILED_POLLS) throw error;
        bar.update(batch, pace(batch), `(${error.code}, retrying)`);
      }
    }
  } finally {
    bar.stop();
  }
  process.stdout.write(summaryOf(batch));
  return batch.status === 'completed' ? 0 : 1;
}

const isTransient = (error: unknown): error is ApiError =>
  isApiError(error) && (error.code === 'unavailable' || error.code === 'rate_limited');

function summaryOf(batch: BatchView): string {
  const took =
    batch.started_at !== null && batch.completed_at !== null
      ? ` in ${formatDuration((Date.parse(batch.completed_at) - Date.parse(batch.started_at)) / 1000)}`
      : '';
  return `batch ${batch.batch_id} ${batch.status}${took}: ${batch.processed_count} completed, ${batch.failed_count} failed of ${batch.total_items}; ${usageOf(batch)}\n`;
}
