import { isApiError } from '@batch/client';
import { detailsOfClientError } from '../errors/error-details';
import { showErrorDetails } from '../errors/error-details-store';
import { showToast } from '../toasts/toasts';
import type { FieldIssue } from '../toasts/toast-spec';

export interface ReportOptions {
  /** What failed, e.g. "Pause failed", "Could not load batches". */
  title?: string;
  /** Repeats the failed request (Network Error's "Retry", a rate limit's "Retry Now"). */
  retry?: () => void;
}

/** The failing fields of a 422: `[{field, message}]` (the gateway's), a record, or zod-like issues. */
export function fieldIssuesOf(details: unknown): FieldIssue[] {
  const list = Array.isArray(details)
    ? details
    : typeof details === 'object' &&
        details !== null &&
        Array.isArray((details as { issues?: unknown }).issues)
      ? (details as { issues: unknown[] }).issues
      : undefined;
  if (list)
    return list.flatMap((issue) => {
      if (typeof issue !== 'object' || issue === null) return [];
      const { field, path, message } = issue as { field?: unknown; path?: unknown; message?: unknown };
      const name = typeof field === 'string' ? field : Array.isArray(path) ? path.join('.') : '';
      return typeof message === 'string' ? [{ field: name || '(body)', message }] : [];
    });
  if (typeof details === 'object' && details !== null)
    return Object.entries(details).flatMap(([field, message]) =>
      typeof message === 'string' ? [{ field, message }] : [],
    );
  return [];
}

const retryAfterOf = (details: unknown): number | undefined => {
  const value = (details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof value === 'number' ? value : undefined;
};

/** Every failed request or action of the console becomes the toast its kind of failure calls for. */
export function reportError(error: unknown, { title, retry }: ReportOptions = {}): void {
  const viewDetails = () => showErrorDetails({ details: detailsOfClientError(error) });
  if (!isApiError(error)) {
    showToast({
      kind: 'permanent',
      title: title ?? 'Unexpected Error',
      message: String(error),
      onViewDetails: viewDetails,
    });
    return;
  }
  if (error.status === 401) return; // signed out, with the reason on the sign-in page
  if (error.status === 0)
    return void showToast({
      kind: 'temporary',
      title: 'Network Error',
      message: 'Cannot reach the gateway. Check your connection and that the gateway is running.',
      dedupKey: 'network-error',
      retry,
      // It waits for its Retry rather than vanishing in 5 s.
      ...(retry ? { persistent: true } : {}),
    });
  if (error.status === 422) {
    const fields = fieldIssuesOf(error.details);
    return void showToast({
      kind: 'permanent',
      title: 'Validation Error',
      // With the fields listed, the message would only repeat them.
      message:
        fields.length > 0 ? `${title ?? 'The request was refused'}: check these fields.` : error.message,
      fields,
    });
  }
  if (error.status === 429)
    return void showToast({
      kind: 'action',
      title: 'Rate Limit Exceeded',
      message: 'Too many requests. Please wait before trying again.',
      dedupKey: `rate-limit:${title ?? ''}`,
      retryAfterSeconds: retryAfterOf(error.details) ?? 5,
      onRetry: retry,
    });
  if (error.status >= 500)
    return void showToast({
      kind: 'temporary',
      title: title ?? 'Server Error',
      message: error.message,
      retry,
      onViewDetails: viewDetails,
    });
  showToast({
    kind: 'permanent',
    title: title ?? 'Request Failed',
    message: error.message,
    onViewDetails: viewDetails,
  });
}
