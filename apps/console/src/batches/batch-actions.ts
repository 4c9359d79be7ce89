import type { BatchView, ConfigOverrides } from '@batch/client';
import { useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/api-context';
import { useAction } from '../api/use-action';

const label = (batch: Pick<BatchView, 'name' | 'batch_id'>) => batch.name || batch.batch_id;

/** Every command on a batch, each with its loading state and its toast; the caches follow the answer. */
export function useBatchActions(batch: Pick<BatchView, 'batch_id' | 'name'>) {
  const { client } = useApi();
  const queryClient = useQueryClient();
  const id = batch.batch_id;
  const settled = (view?: BatchView) => {
    if (view) queryClient.setQueryData(['batch', id], view);
    void queryClient.invalidateQueries({ queryKey: ['batches'] });
    void queryClient.invalidateQueries({ queryKey: ['batch', id] });
    void queryClient.invalidateQueries({ queryKey: ['items', id] });
  };

  return {
    start: useAction(() => client.startBatch(id), {
      failure: 'Start failed',
      success: () => `Batch started: ${label(batch)}`,
      onSuccess: settled,
    }),
    pause: useAction(() => client.pauseBatch(id), {
      failure: 'Pause failed',
      success: () => `Batch paused: ${label(batch)}`,
      onSuccess: settled,
    }),
    resume: useAction<[configOverrides?: ConfigOverrides, retryFailed?: boolean], BatchView>(
      async (configOverrides, retryFailed = false) => {
        if (retryFailed) await client.retryFailed(id);
        return client.resumeBatch(id, configOverrides ? { configOverrides } : {});
      },
      {
        failure: 'Resume failed',
        success: (_view, _overrides, retryFailed) =>
          retryFailed
            ? `Batch resumed, failed items queued again: ${label(batch)}`
            : `Batch resumed: ${label(batch)}`,
        onSuccess: settled,
      },
    ),
    cancel: useAction(() => client.cancelBatch(id), {
      failure: 'Cancel failed',
      success: () => `Batch cancelled: ${label(batch)}`,
      onSuccess: settled,
    }),
    retryFailed: useAction(() => client.retryFailed(id), {
      failure: 'Retry failed items failed',
      success: () => `Failed items queued again: ${label(batch)}`,
      onSuccess: settled,
    }),
    discard: useAction(() => client.discardBatch(id), {
      failure: 'Discard failed',
      success: () => 'Batch discarded',
      onSuccess: () => {
        queryClient.removeQueries({ queryKey: ['batch', id] });
        void queryClient.invalidateQueries({ queryKey: ['batches'] });
      },
    }),
  };
}
