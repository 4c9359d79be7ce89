import { isApiError } from '@batch/client';
import { QueryCache, QueryClient } from '@tanstack/react-query';
import { reportError } from '../api/report-error';

declare module '@tanstack/react-query' {
  interface Register {
    queryMeta: { errorTitle?: string; silent?: boolean };
  }
}

/** A request the server refused will be refused again; a lost connection is worth one more try. */
const shouldRetry = (failures: number, error: unknown) =>
  failures < 1 && !(isApiError(error) && error.status >= 400 && error.status < 500);

export function createQueryClient(): QueryClient {
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (query.meta?.silent) return;
        reportError(error, {
          title: query.meta?.errorTitle,
          retry: () => void queryClient.refetchQueries({ queryKey: query.queryKey, exact: true }),
        });
      },
    }),
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 5_000, refetchOnWindowFocus: false },
    },
  });
  return queryClient;
}
