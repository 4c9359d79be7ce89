import { useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/api-context';
import { reportError } from '../api/report-error';
import { showErrorDetails } from '../errors/error-details-store';
import { notify, showToast } from '../toasts/toasts';
import { toastOfNotification } from './notification-toasts';
import { useNotificationListener } from './notifications-provider';

/** Errors and batch ends from /ws, as toasts. */
export function NotificationToasts() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  const retryBatch = async (batchId: string) => {
    try {
      const batch = await client.getBatch(batchId);
      if (batch.status === 'paused') {
        await client.resumeBatch(batchId);
        notify.success(`Batch resumed: ${batch.name || batchId}`);
      } else notify.info('Calls go on by themselves', `${batch.name || batchId} is ${batch.status}.`);
      void queryClient.invalidateQueries({ queryKey: ['batch', batchId] });
    } catch (error) {
      reportError(error, { title: 'Retry failed', retry: () => void retryBatch(batchId) });
    }
  };
  useNotificationListener((notification) => {
    const spec = toastOfNotification(notification, {
      viewDetails: (errorId) => showErrorDetails({ errorId }),
      retryBatch: (batchId) => void retryBatch(batchId),
    });
    if (spec) showToast(spec);
  });
  return null;
}
