import type { BatchView } from '@batch/client';
import { memo } from 'react';
import { Link } from '../app/router';
import { formatCount, formatPercent, formatTime } from './batch-format';
import { useLiveBatch, withLive } from './live-batches';
import { ProgressBar, StatusBadge } from './progress-bar';

/** One row: it follows its own batch's notifications, so a progress update re-renders this row only. */
export const BatchRow = memo(function BatchRow({ view }: { view: BatchView }) {
  const batch = withLive(view, useLiveBatch(view.batch_id));
  const name = batch.name || batch.batch_id;
  return (
    <tr data-batch-id={batch.batch_id}>
      <th scope="row">
        <Link to={`/batches/${encodeURIComponent(batch.batch_id)}`}>{name}</Link>
      </th>
      <td>
        <StatusBadge status={batch.status} />
      </td>
      <td className="progress-cell">
        <ProgressBar percent={batch.progress_percent} status={batch.status} label={`Progress of ${name}`} />
        <span className="progress-text">{formatPercent(batch.progress_percent)}</span>
      </td>
      <td className="num">{formatCount(batch.processed_count)}</td>
      <td className="num">{formatCount(batch.failed_count)}</td>
      <td className="num">{formatCount(batch.pending_count)}</td>
      <td>{formatTime(batch.created_at)}</td>
    </tr>
  );
});
