import type { BatchStatus } from '@batch/client';
import { formatPercent } from './batch-format';

/** A batch's settled share as a real progressbar (aria-valuenow), coloured by status. */
export function ProgressBar({
  percent,
  status,
  label,
}: {
  percent: number;
  status: BatchStatus;
  label: string;
}) {
  const value = Math.max(0, Math.min(100, percent));
  return (
    <div
      className={`progress progress-${status}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      aria-valuetext={formatPercent(value)}
    >
      <div className="progress-fill" style={{ width: `${value}%` }} />
    </div>
  );
}

export function StatusBadge({ status }: { status: BatchStatus }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}
