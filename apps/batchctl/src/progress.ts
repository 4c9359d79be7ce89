import type { BatchView } from '@batch/client';
import cliProgress from 'cli-progress';
import { formatUsd } from '@batch/contracts';
import { settledOf } from './format.js';
import { formatDuration, type Throughput } from './throughput.js';

/*
 * Bars draw on stderr, and only on a terminal (cli-progress skips other streams), so stdout keeps
 * just the results a script would read (a batch id, a table, JSON).
 */

export interface UploadProgress {
  /** Items uploaded so far, and how far into the file the reader is (the total is unknown). */
  update(uploaded: number, bytesRead: number): void;
  stop(): void;
}

export function uploadProgress(fileBytes: number): UploadProgress {
  const bar = new cliProgress.SingleBar(
    { format: 'uploading |{bar}| {percentage}% of the file | {uploaded} items', fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(fileBytes, 1), 0, { uploaded: 0 });
  return {
    update: (uploaded, bytesRead) => bar.update(Math.min(bytesRead, fileBytes), { uploaded }),
    stop: () => bar.stop(),
  };
}

export interface WatchProgress {
  update(batch: BatchView, throughput: Throughput, note?: string): void;
  /** A line on stderr, above the bar rather than through it. */
  log(line: string): void;
  stop(): void;
}

export function watchProgress(batch: BatchView): WatchProgress {
  const bar = new cliProgress.SingleBar(
    {
      format:
        '{status} |{bar}| {percentage}% | {value}/{total} | {rate} items/s | ETA {timeLeft} | {failed} failed | {tokens} tokens {cost} {note}',
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (view: BatchView, throughput?: Throughput, note = '') => ({
    status: view.status.padEnd(9),
    rate: (throughput?.itemsPerSecond ?? 0).toFixed(1),
    timeLeft: formatDuration(throughput?.etaSeconds),
    failed: view.failed_count,
    tokens: (view.prompt_tokens + view.completion_tokens).toLocaleString('en-US'),
    cost: formatUsd(view.cost_usd),
    note,
  });
  bar.start(Math.max(batch.total_items, 1), settledOf(batch), payload(batch));
  return {
    update: (view, throughput, note) => {
      bar.setTotal(Math.max(view.total_items, 1));
      bar.update(settledOf(view), payload(view, throughput, note));
    },
    log: (line) => {
      // The bar is redrawn on its next update, on the line below.
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
      process.stderr.write(line);
    },
    stop: () => bar.stop(),
  };
}
