import type { ReactNode } from 'react';
import { BatchDetailPage } from '../batches/batch-detail.page';
import { BatchesPage } from '../batches/batches.page';
import { CreateBatchPage } from '../batches/create-batch.page';
import { matchPath } from './router';

interface Route {
  pattern: string;
  title: string;
  render: (params: Record<string, string>) => ReactNode;
}

/** The console's pages by path; part 2 adds its own (conversations, backups) here. */
export const ROUTES: Route[] = [
  { pattern: '/batches', title: 'Batches', render: () => <BatchesPage /> },
  { pattern: '/batches/new', title: 'Create a batch', render: () => <CreateBatchPage /> },
  {
    pattern: '/batches/:batchId',
    title: 'Batch',
    render: ({ batchId }) => <BatchDetailPage batchId={batchId} />,
  },
];

export function resolveRoute(path: string): { route: Route; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (params) return { route, params };
  }
  return null;
}
