import type { ItemPage } from '@batch/client';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useApi } from '../api/api-context';
import { detailsOfItemError } from '../errors/error-details';
import { showErrorDetails } from '../errors/error-details-store';
import { CursorPager } from '../ui/cursor-pager';

const PAGE_SIZE = 20;

/** The batch's failed items, a server page at a time, with their error and a "View details" each. */
export function FailedItems({ batchId, failedCount }: { batchId: string; failedCount: number }) {
  const { client } = useApi();
  const queryClient = useQueryClient();
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useQuery<ItemPage>({
    queryKey: ['items', batchId, 'failed', cursor],
    queryFn: () => client.listItems(batchId, { status: 'failed', cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    enabled: failedCount > 0,
    meta: { errorTitle: 'Could not load the failed items' },
  });

  // New failures show on the first page; read it again (at most every 2 s) when the count moves.
  useEffect(() => {
    if (cursors.length > 1) return;
    const timer = setTimeout(
      () => void queryClient.invalidateQueries({ queryKey: ['items', batchId, 'failed', undefined] }),
      2000,
    );
    return () => clearTimeout(timer);
  }, [failedCount, batchId, cursors.length, queryClient]);

  if (failedCount === 0)
    return (
      <section aria-labelledby="failed-title" className="panel">
        <h2 id="failed-title">Failed items</h2>
        <p className="muted">No failed items.</p>
      </section>
    );
  const items = page.data?.items ?? [];
  return (
    <section aria-labelledby="failed-title" className="panel">
      <h2 id="failed-title">Failed items ({failedCount.toLocaleString('en-US')})</h2>
      {page.isPending ? (
        <p role="status">Loading failed items…</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Topic</th>
                <th scope="col">Error code</th>
                <th scope="col">Message</th>
                <th scope="col" className="num">
                  Attempt
                </th>
                <th scope="col">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.item_id}>
                  <th scope="row">
                    <code>{item.item_id}</code>
                  </th>
                  <td className="clip">{item.topic}</td>
                  <td>
                    <code>{item.error?.code ?? '—'}</code>
                  </td>
                  <td className="clip">{item.error?.message ?? ''}</td>
                  <td className="num">{item.attempt}</td>
                  <td>
                    <button
                      type="button"
                      className="button-link"
                      aria-label={`View details of item ${item.item_id}`}
                      onClick={() => showErrorDetails({ details: detailsOfItemError(batchId, item) })}
                    >
                      View details
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager
        label="Failed item pages"
        cursors={cursors}
        setCursors={setCursors}
        nextCursor={page.data?.next_cursor}
        loading={page.isPlaceholderData}
      />
    </section>
  );
}
