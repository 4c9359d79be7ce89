import { roundUsd, type BatchView, type ItemView } from '@batch/contracts';
import type { BatchItemRecord } from '../entities/batch-item.entity.js';
import type { BatchRecord } from '../entities/batch.entity.js';

export type { BatchView, ItemView, Page } from '@batch/contracts';

/** Settled share of the items, 0-100, floored to one decimal as the domain's `progressOf` does. */
export const progressPercent = (settled: number, total: number): number =>
  total === 0 ? 0 : Math.floor((settled / total) * 1000) / 10;

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

export const toBatchView = (batch: BatchRecord): BatchView => ({
  batch_id: batch.batchId,
  name: batch.name,
  status: batch.status,
  total_items: batch.totalItems,
  processed_count: batch.processedCount,
  failed_count: batch.failedCount,
  pending_count: batch.pendingCount,
  progress_percent: progressPercent(batch.processedCount + batch.failedCount, batch.totalItems),
  config: batch.config,
  created_at: batch.createdAt.toISOString(),
  started_at: iso(batch.startedAt),
  paused_at: iso(batch.pausedAt),
  pause_reason: batch.pauseReason,
  completed_at: iso(batch.completedAt),
  prompt_tokens: Number(batch.promptTokens),
  completion_tokens: Number(batch.completionTokens),
  cost_usd: roundUsd(batch.costUsd),
  last_checkpoint_at: batch.lastCheckpointAt.toISOString(),
});

export const toItemView = (item: BatchItemRecord): ItemView => ({
  item_id: item.itemId,
  position: item.position,
  topic: item.topic,
  parameters: item.parameters,
  status: item.status,
  attempt: item.attempt,
  conversation_id: item.conversationId,
  error: item.error,
});
