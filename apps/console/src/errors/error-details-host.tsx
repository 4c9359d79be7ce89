import type { ErrorDetailsView } from '@batch/contracts';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/api-context';
import { Link } from '../app/router';
import type { ErrorDetails } from './error-details';
import { ErrorDetailsModal } from './error-details-modal';
import { closeErrorDetails, useErrorDetailsSource } from './error-details-store';

const REPORT_EMAIL: string | undefined = import.meta.env.VITE_REPORT_EMAIL || undefined;

/** The one error details modal of the page: fetched by error id, or shown as given. */
export function ErrorDetailsHost() {
  const source = useErrorDetailsSource();
  const { authorizedFetch } = useApi();
  const errorId = source && 'errorId' in source ? source.errorId : null;
  const fetched = useQuery({
    queryKey: ['error-details', errorId],
    enabled: errorId !== null,
    meta: { silent: true },
    queryFn: async (): Promise<ErrorDetails> =>
      (await (
        await authorizedFetch(`/api/v1/errors/${encodeURIComponent(errorId ?? '')}`)
      ).json()) as ErrorDetailsView,
  });
  const details = source && 'details' in source ? source.details : (fetched.data ?? null);
  return (
    <ErrorDetailsModal
      open={source !== null}
      onOpenChange={(open) => !open && closeErrorDetails()}
      details={details}
      loading={fetched.isLoading}
      loadError={fetched.error ? `Could not load the error details: ${fetched.error.message}` : null}
      reportEmail={REPORT_EMAIL}
      batchLink={(batchId) => (
        <Link to={`/batches/${encodeURIComponent(batchId)}`} onClick={closeErrorDetails}>
          {batchId}
        </Link>
      )}
    />
  );
}
