import type { BatchStatus } from '@batch/client';

export const STATUS_LABEL: Record<BatchStatus, string> = {
  pending: 'Pending',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** Not ended: the resume dialog's batches. */
export const isIncomplete = (status: BatchStatus): boolean =>
  status === 'pending' || status === 'running' || status === 'paused';

export const formatPercent = (percent: number): string => `${Math.round(percent * 10) / 10}%`;

export const formatCount = (count: number): string => count.toLocaleString('en-US');

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${whole % 60}s`;
  return `${Math.floor(whole / 3600)}h ${Math.floor((whole % 3600) / 60)}m`;
}

export const formatRate = (itemsPerSecond: number | undefined): string =>
  itemsPerSecond === undefined
    ? '—'
    : `${itemsPerSecond < 10 ? itemsPerSecond.toFixed(1) : Math.round(itemsPerSecond)} items/s`;

export const formatTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString() : '—';

export const formatUsd = (usd: number): string =>
  `$${usd < 0.01 && usd > 0 ? usd.toFixed(6) : usd.toFixed(usd < 100 ? 4 : 2)}`;
