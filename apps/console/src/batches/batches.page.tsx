import type { BatchStatus } from '@batch/client';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { useApi } from '../api/api-context';
import { Link } from '../app/router';
import { useNotificationListener } from '../notifications/notifications-provider';
import { STATUS_LABEL } from './batch-format';
import { BatchRow } from './batch-row';
import { CursorPager } from '../ui/cursor-pager';

const PAGE_SIZE = 25;
const STATUSES = Object.keys(STATUS_LABEL) as BatchStatus[];

/** The user's batches, newest first, one server page at a time (cursors), live through their rows. */
export function BatchesPage() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  const filterId = useId();
  const [status, setStatus] = useState<BatchStatus | ''>('');
  /** Cursors of the pages before this one; the last is this page's. */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: ['batches', status, cursor],
    queryFn: () => client.listBatches({ status: status || undefined, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    meta: { errorTitle: 'Could not load batches' },
  });
  const shown = useRef(new Set<string>());
  shown.current = new Set(page.data?.batches.map((batch) => batch.batch_id));

  // A batch this page does not show (made elsewhere, or now in the filter): the first page is read again.
  useNotificationListener(
    (notification) => {
      if (notification.type !== 'batch.status' || cursors.length > 1) return;
      if (!shown.current.has(notification.payload.batch_id) || status !== '')
        void queryClient.invalidateQueries({ queryKey: ['batches', status, undefined] });
    },
    { type: 'batch.status' },
  );

  const changeStatus = (next: BatchStatus | '') => {
    setStatus(next);
    setCursors([undefined]);
  };
  const batches = page.data?.batches ?? [];

  return (
    <section aria-labelledby="batches-title">
      <div className="page-header">
        <h1 id="batches-title">Batches</h1>
        <Link to="/batches/new" className="button button-primary">
          Create batch
        </Link>
      </div>
      <div className="toolbar">
        <label htmlFor={filterId}>Status</label>
        <select
          id={filterId}
          value={status}
          onChange={(event) => changeStatus(event.target.value as BatchStatus | '')}
        >
          <option value="">All</option>
          {STATUSES.map((value) => (
            <option key={value} value={value}>
              {STATUS_LABEL[value]}
            </option>
          ))}
        </select>
        <span className="muted" role="status">
          {page.isFetching ? 'Loading…' : ''}
        </span>
      </div>
      {page.isPending ? (
        <p role="status">Loading batches…</p>
      ) : page.isError && !page.data ? (
        <p className="notice notice-error">Could not load the batches.</p>
      ) : batches.length === 0 ? (
        <p className="empty">
          {status ? `No ${STATUS_LABEL[status].toLowerCase()} batches.` : 'No batches yet.'}{' '}
          <Link to="/batches/new">Create a batch</Link> from a JSONL or CSV file.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">
              Batches{status ? ` (${STATUS_LABEL[status]})` : ''}, page {cursors.length}
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col" className="num">
                  Completed
                </th>
                <th scope="col" className="num">
                  Failed
                </th>
                <th scope="col" className="num">
                  Pending
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {batches.map((batch) => (
                <BatchRow key={batch.batch_id} view={batch} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager
        label="Batch pages"
        cursors={cursors}
        setCursors={setCursors}
        nextCursor={page.data?.next_cursor}
        loading={page.isPlaceholderData}
      />
    </section>
  );
}
