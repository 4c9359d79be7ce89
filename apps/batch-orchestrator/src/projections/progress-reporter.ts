import type { JetStreamClient } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import type { BatchFact, EventOf, Names } from '@batch/contracts';
import { publishFact } from '@batch/messaging';
import type { AppliedBatch } from '@batch/persistence';
import type { Logger } from '@batch/platform';

interface Failures {
  batchId: string;
  count: number;
  first: EventOf<'ItemFailed'>;
}

interface BatchRow {
  batch_id: string;
  user_id: string;
  status: string;
  pause_reason: string | null;
  total_items: number;
  processed_count: number;
  failed_count: number;
  pending_count: number;
  provider: string | null;
  model: string | null;
  version: string | null;
}

/** Batches a restarted orchestrator reports once, in case it stopped between a commit and its report. */
const RECENT_BATCHES = `
  SELECT batch_id FROM batches
  WHERE status IN ('pending', 'running', 'paused') OR ended_at > now() - interval '10 minutes'`;

/** Each batch's counts read in one statement with the projection's position, so they belong together. */
const BATCH_ROWS = `
  SELECT batch_id, user_id, status, pause_reason, total_items, processed_count, failed_count,
         pending_count, config->>'provider' AS provider, config->>'model' AS model,
         (SELECT last_seq FROM projection_checkpoints WHERE name = $2) AS version
  FROM batches WHERE batch_id = ANY($1)`;

/**
 * Tells users how their batches go, as facts the notifications fan out: after projection commits,
 * once per interval at most, a `progress` fact per batch the commits touched (its counts as the
 * read model holds them then, so the last one has the exact final counts), and an `items_failed`
 * fact per batch and error code with how many items failed and the first of them. A batch at
 * 10,000 items/s costs one fact per interval, not 10,000.
 */
export class ProgressReporter {
  private readonly touched = new Set<string>();
  private readonly failures = new Map<string, Failures>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ds: DataSource,
    private readonly js: JetStreamClient,
    private readonly names: Names,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly projection = 'batches',
  ) {}

  /** Reports recently active batches once (a previous run may have stopped before reporting them), then every interval. */
  async start(): Promise<void> {
    const rows: { batch_id: string }[] = await this.ds.query(RECENT_BATCHES);
    for (const { batch_id } of rows) this.touched.add(batch_id);
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
    await this.flush();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** What a projection commit applied. */
  note({ applied }: AppliedBatch): void {
    for (const event of applied) {
      this.touched.add(event.batchId);
      if (event.type === 'ItemFailed') this.addFailures({ batchId: event.batchId, count: 1, first: event });
    }
  }

  private addFailures(failures: Failures): void {
    const key = `${failures.batchId}\u0000${failures.first.data.error.code}`;
    const known = this.failures.get(key);
    if (known) known.count += failures.count;
    else this.failures.set(key, { ...failures });
  }

  /** One flush at a time; a call during one runs after it. */
  flush(): Promise<void> {
    this.flushing = this.flushing
      .then(() => this.report())
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'reporting batch progress failed; the next interval tries again');
      });
    return this.flushing;
  }

  private async report(): Promise<void> {
    if (this.touched.size === 0) return;
    const batchIds = [...this.touched];
    const failures = [...this.failures.values()];
    this.touched.clear();
    this.failures.clear();
    try {
      const rows: BatchRow[] = await this.ds.query(BATCH_ROWS, [batchIds, this.projection]);
      const byId = new Map(rows.map((row) => [row.batch_id, row]));
      const at = new Date().toISOString();
      // Failures first and in order: a user hears why items failed before the status that ends the batch.
      for (const failure of failures) {
        const row = byId.get(failure.batchId);
        if (row) await publishFact(this.js, this.names, failedFact(failure, row, at));
      }
      await Promise.all(rows.map((row) => publishFact(this.js, this.names, progressFact(row, at))));
    } catch (error) {
      // Reported next time instead (counts are read afresh; failure counts add up).
      for (const batchId of batchIds) this.touched.add(batchId);
      for (const failure of failures) this.addFailures(failure);
      throw error;
    }
  }
}

const progressFact = (row: BatchRow, at: string): BatchFact => ({
  type: 'progress',
  batchId: row.batch_id,
  userId: row.user_id,
  at,
  version: Number(row.version ?? 0),
  status: row.status,
  pauseReason: row.pause_reason,
  totalItems: row.total_items,
  completed: row.processed_count,
  failed: row.failed_count,
  pending: row.pending_count,
});

function failedFact({ count, first }: Failures, row: BatchRow, at: string): BatchFact {
  const { itemId, attempt, error } = first.data;
  return {
    type: 'items_failed',
    batchId: row.batch_id,
    userId: row.user_id,
    at,
    count,
    error,
    context: {
      itemId,
      attempt,
      ...(row.provider ? { provider: row.provider } : {}),
      ...(row.model ? { model: row.model } : {}),
    },
  };
}
