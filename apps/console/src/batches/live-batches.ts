import type { BatchStatus, BatchView, Notification } from '@batch/client';
import { useSyncExternalStore } from 'react';

/** A batch's latest counts as the WebSocket told them. */
export interface LiveBatch {
  status: BatchStatus;
  total_items: number;
  processed_count: number;
  failed_count: number;
  pending_count: number;
  progress_percent: number;
  items_per_second?: number;
  eta_seconds?: number | null;
  reason?: string | null;
  /** When the notification was made. */
  at: string;
}

/**
 * Live state per batch, outside React state: a notification wakes only the components showing
 * that batch (a row, the detail page), never a whole list.
 */
const liveById = new Map<string, LiveBatch>();
const listenersById = new Map<string, Set<() => void>>();

export function applyBatchNotification(notification: Notification): void {
  if (notification.type !== 'batch.progress' && notification.type !== 'batch.status') return;
  const { payload } = notification;
  const previous = liveById.get(payload.batch_id);
  const next: LiveBatch = {
    ...previous,
    status: payload.status as BatchStatus,
    total_items: payload.total_items,
    processed_count: payload.processed_count,
    failed_count: payload.failed_count,
    pending_count: payload.pending_count,
    progress_percent: payload.progress_percent,
    at: notification.at,
  };
  if (notification.type === 'batch.progress') {
    next.items_per_second = notification.payload.items_per_second;
    next.eta_seconds = notification.payload.eta_seconds;
  } else {
    next.reason = notification.payload.reason;
    if (payload.status !== 'running') {
      next.items_per_second = 0;
      next.eta_seconds = null;
    }
  }
  liveById.set(payload.batch_id, next);
  for (const listener of listenersById.get(payload.batch_id) ?? []) listener();
}

export function clearLiveBatches(): void {
  liveById.clear();
  for (const listeners of listenersById.values()) for (const listener of listeners) listener();
}

function subscribe(batchId: string, listener: () => void): () => void {
  let listeners = listenersById.get(batchId);
  if (!listeners) listenersById.set(batchId, (listeners = new Set()));
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) listenersById.delete(batchId);
  };
}

export function useLiveBatch(batchId: string): LiveBatch | undefined {
  return useSyncExternalStore(
    (listener) => subscribe(batchId, listener),
    () => liveById.get(batchId),
  );
}

export type ShownBatch = BatchView & { items_per_second?: number; eta_seconds?: number | null };

/** The REST view, with the live counts when they are at least as new as it. */
export function withLive(view: BatchView, live: LiveBatch | undefined): ShownBatch {
  if (!live) return view;
  const rate = { items_per_second: live.items_per_second, eta_seconds: live.eta_seconds };
  const restIsNewer =
    view.last_checkpoint_at !== null && Date.parse(view.last_checkpoint_at) > Date.parse(live.at);
  if (restIsNewer) return { ...view, ...rate };
  return {
    ...view,
    ...rate,
    status: live.status,
    total_items: live.total_items,
    processed_count: live.processed_count,
    failed_count: live.failed_count,
    pending_count: live.pending_count,
    progress_percent: live.progress_percent,
    pause_reason: live.status === 'paused' && live.reason ? live.reason : view.pause_reason,
    last_checkpoint_at: live.at,
  };
}
