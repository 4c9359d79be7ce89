import type { ErrorNotificationPayload, Notification } from '@batch/client';
import type { ToastSpec } from '../toasts/toast-spec';

export interface NotificationToastActions {
  viewDetails: (errorId: string) => void;
  /** "Retry Now" of a rate-limited batch: go on (resume it if it was paused). */
  retryBatch: (batchId: string) => void;
}

/** A pause the user asked for is confirmed by the action's own toast; the platform's are told. */
const isUserPause = (reason: string | null | undefined) => !reason || reason === 'paused by user';

/** The toast a notification calls for, if any: errors, and the ends and pauses of batches. */
export function toastOfNotification(
  notification: Notification,
  actions: NotificationToastActions,
): ToastSpec | null {
  switch (notification.type) {
    case 'error':
      return toastOfError(notification.payload, notification.topic, actions);
    case 'batch.status': {
      const { batch_id, status, processed_count, failed_count, reason } = notification.payload;
      if (status === 'completed')
        return {
          kind: 'success',
          title: `Batch completed: ${processed_count} succeeded, ${failed_count} failed`,
          dedupKey: `batch-end:${batch_id}`,
        };
      if (status === 'failed')
        return {
          kind: 'permanent',
          title: 'Batch failed',
          message: reason ?? `all ${failed_count} items failed`,
          dedupKey: `batch-end:${batch_id}`,
        };
      if (status === 'paused' && !isUserPause(reason))
        return {
          kind: 'warning',
          title: 'Batch paused',
          message: reason ?? undefined,
          dedupKey: `batch-paused:${batch_id}`,
        };
      return null;
    }
    default:
      return null;
  }
}

function toastOfError(
  error: ErrorNotificationPayload,
  topic: string,
  actions: NotificationToastActions,
): ToastSpec {
  const common = {
    dedupKey: error.dedupKey,
    occurrences: error.repeatCount > 0 ? error.repeatCount : 1,
    message: error.userMessage,
    onViewDetails: () => actions.viewDetails(error.errorId),
  };
  if (error.category === 'action_required') {
    const batchId = error.batchId ?? (topic.startsWith('batch:') ? topic.slice('batch:'.length) : undefined);
    if (error.retryAfterSeconds !== undefined)
      return {
        ...common,
        kind: 'action',
        title: 'Rate Limit Exceeded',
        retryAfterSeconds: error.retryAfterSeconds,
        onRetry: batchId ? () => actions.retryBatch(batchId) : undefined,
      };
    return { ...common, kind: 'action', title: 'Action Required', code: error.code };
  }
  if (error.category === 'temporary')
    return { ...common, kind: 'temporary', title: 'Temporary Error', code: error.code };
  const generation =
    error.code.startsWith('ERR_GEN_') || (error.itemId !== undefined && error.code.startsWith('ERR_API_'));
  return {
    ...common,
    kind: 'permanent',
    title: generation ? 'Generation Failed' : 'Operation Failed',
    code: error.code,
  };
}
