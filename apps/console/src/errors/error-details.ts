import { isApiError, type ItemView } from '@batch/client';
import type { ErrorDetailsView } from '@batch/contracts';

/**
 * What the error details modal shows: the gateway's sanitized `ErrorDetailsView`
 * (`GET /api/v1/errors/:errorId`), or the same shape built here from an error of the console's own
 * (a failed request, a component that threw) or from a failed item's error.
 */
export type ErrorDetails = Omit<ErrorDetailsView, 'errorId' | 'severity' | 'occurrences'> & {
  errorId?: string;
  severity?: ErrorDetailsView['severity'];
  occurrences?: number;
};

/** Where the modal gets its details: fetched by id, or given. */
export type ErrorDetailsSource = { errorId: string } | { details: ErrorDetails };

/** An id for an error the console saw itself, to quote in a report. */
export const clientErrorId = (): string =>
  `client-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export function detailsOfClientError(error: unknown, extra: Partial<ErrorDetails> = {}): ErrorDetails {
  const now = new Date().toISOString();
  if (isApiError(error)) {
    const recoverable = error.status === 0 || error.status === 429 || error.status >= 500;
    return {
      errorId: clientErrorId(),
      code: error.code,
      name: error.status === 0 ? 'Network Error' : `HTTP ${error.status} ${error.code}`,
      category: error.status === 429 ? 'action_required' : recoverable ? 'temporary' : 'permanent',
      isRecoverable: recoverable,
      userMessage: error.message,
      technicalMessage: error.message,
      context: {},
      response: {
        status: error.status,
        code: error.code,
        ...(error.details ? { details: error.details } : {}),
      },
      stack: error.stack,
      occurredAt: now,
      ...extra,
    };
  }
  const asError = error instanceof Error ? error : new Error(String(error));
  return {
    errorId: clientErrorId(),
    code: 'ERR_CONSOLE',
    name: asError.name || 'Error',
    category: 'permanent',
    isRecoverable: false,
    userMessage: asError.message || 'Something went wrong in the console.',
    technicalMessage: asError.message,
    context: {},
    stack: asError.stack,
    occurredAt: now,
    ...extra,
  };
}

/** A failed item's error (the item view carries no error id: its details travel with it). */
export function detailsOfItemError(batchId: string, item: ItemView): ErrorDetails {
  const error = item.error;
  return {
    code: error?.code ?? 'ERR_GEN_UNKNOWN',
    name: error?.code ?? 'Item failed',
    category:
      error?.category === 'permanent'
        ? 'permanent'
        : error?.category === 'temporary'
          ? 'temporary'
          : 'action_required',
    isRecoverable: error?.retryable ?? false,
    userMessage: error?.message ?? 'The item failed.',
    technicalMessage: error?.message ?? '',
    context: { batchId, itemId: item.item_id, attempt: item.attempt },
    response: error?.details,
    occurredAt: new Date().toISOString(),
  };
}

/** Advice by category: what a person can do about it. */
export function whatYouCanDo(
  details: Pick<ErrorDetails, 'category' | 'isRecoverable' | 'code' | 'retryAfterSeconds'>,
): string[] {
  const advice: string[] = [];
  if (details.category === 'action_required') {
    if (details.retryAfterSeconds !== undefined || details.code === 'ERR_API_RATE_LIMIT')
      advice.push(
        'Wait for the rate limit to reset: the calls are retried by themselves',
        "Lower the batch's rate limit if it keeps happening",
      );
    else
      advice.push(
        'Fix the cause (API key, account balance, model name or budget)',
        'Resume the paused batch, with changed settings if needed',
      );
  } else if (details.isRecoverable) {
    advice.push('Try the operation again', 'Check your network connection and that the gateway is running');
  } else {
    advice.push('Review the input or settings and try again', 'Retry the failed items after a fix');
  }
  advice.push('Report this issue with the Report issue button if it persists');
  return advice;
}
