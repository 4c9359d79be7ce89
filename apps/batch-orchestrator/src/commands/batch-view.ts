import { progressOf, type Batch } from '@batch/batch-domain';
import { roundUsd, type BatchStatus, type BatchView } from '@batch/contracts';

export type { BatchView };

/** The public view of a batch, computed from its state (the answer to a command, before projections catch up). */
export function viewOf(batch: Batch, lastEventAt: string | null): BatchView {
  const progress = progressOf(batch);
  const ended = batch.status === 'completed' || batch.status === 'failed';
  return {
    batch_id: batch.batchId,
    name: batch.name,
    status: batch.status as BatchStatus,
    total_items: Math.max(progress.total, batch.declaredItems),
    processed_count: progress.completed,
    failed_count: progress.failed,
    pending_count: Math.max(progress.total, batch.declaredItems) - progress.completed - progress.failed,
    progress_percent: progress.percent,
    config: batch.config,
    created_at: batch.createdAt,
    started_at: batch.startedAt ?? null,
    paused_at: batch.pausedAt ?? null,
    pause_reason: batch.status === 'paused' ? (batch.pauseReason ?? null) : null,
    completed_at: ended ? (batch.endedAt ?? null) : null,
    prompt_tokens: batch.usage.promptTokens,
    completion_tokens: batch.usage.completionTokens,
    cost_usd: roundUsd(batch.usage.costUsd),
    last_checkpoint_at: lastEventAt,
  };
}
