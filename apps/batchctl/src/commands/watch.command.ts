import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, isApiError, type ApiError, type BatchClient, type BatchView } from '@batch/client';
import { followBatch } from '../batch-follower.js';
import { ENDED } from '../batch-updates.js';
import { connectionOf, defineCommand, JSON_OPTION, positionalsOf, type Connection } from '../command-line.js';
import { printJson, settledOf, usageOf } from '../format.js';
import { watchProgress, type WatchProgress } from '../progress.js';
import { formatDuration, throughputMeter } from '../throughput.js';

const POLL_INTERVAL_MS = 1_000;
/** A gateway restart or a rate limit is waited out; this many failed polls in a row is not. */
const MAX_FAILED_POLLS = 30;

export const watchCommand = defineCommand({
  name: 'watch',
  usage: 'watch <batchId> [--poll] [--json]',
  summary:
    'follow a batch until it ends, over WebSocket notifications (--poll: by polling); exit 0 if it completed, 1 if it failed or was cancelled',
  options: { poll: { type: 'boolean' }, ...JSON_OPTION },
  async run({ values, positionals }, { env }) {
    const [batchId] = positionalsOf(watchCommand, positionals, ['batchId']);
    return watchUntilEnded(connectionOf(values, env), batchId, {
      poll: values.poll === true,
      json: values.json === true,
    });
  },
});

export interface WatchOptions {
  /** Poll instead of following the notifications. */
  poll?: boolean;
  /** Print the ended batch as JSON rather than a summary line. */
  json?: boolean;
}

/**
 * Follows the batch with a live bar until it ends, prints a summary, answers the exit code. The
 * batch is fetched first (one that has ended ends at once), then followed over `/ws`; polling
 * takes over when the socket cannot be used.
 */
export async function watchUntilEnded(
  connection: Connection,
  batchId: string,
  { poll = false, json = false }: WatchOptions = {},
): Promise<number> {
  const client = createClient(connection);
  let batch = await client.getBatch(batchId);
  const bar = watchProgress(batch);
  try {
    if (!ENDED.has(batch.status) && !poll) {
      const followed = await followBatch({ ...connection, client, batch, bar });
      batch = followed.batch;
      if (followed.fallback !== undefined)
        bar.log(`notifications unavailable (${followed.fallback}): polling every second\n`);
    }
    if (!ENDED.has(batch.status)) batch = await pollUntilEnded(client, batch, bar);
  } finally {
    bar.stop();
  }
  if (json) printJson(batch);
  else process.stdout.write(summaryOf(batch));
  return batch.status === 'completed' ? 0 : 1;
}

/** Fetches the batch about once a second until it ends. */
async function pollUntilEnded(client: BatchClient, first: BatchView, bar: WatchProgress): Promise<BatchView> {
  const meter = throughputMeter();
  const pace = (view: BatchView) => meter.sample(settledOf(view), view.total_items, Date.now());
  let batch = first;
  let failedPolls = 0;
  while (!ENDED.has(batch.status)) {
    await sleep(POLL_INTERVAL_MS);
    try {
      batch = await client.getBatch(batch.batch_id);
      failedPolls = 0;
      bar.update(batch, pace(batch));
    } catch (error) {
      failedPolls += 1;
      if (!isTransient(error) || failedPolls >= MAX_FAILED_POLLS) throw error;
      bar.update(batch, pace(batch), `(${error.code}, retrying)`);
    }
  }
  return batch;
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
