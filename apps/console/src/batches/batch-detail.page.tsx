import { isApiError, type BatchView } from '@batch/client';
import * as Dialog from '@radix-ui/react-dialog';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import { useAction } from '../api/use-action';
import { Link, navigate } from '../app/router';
import { useNotificationListener } from '../notifications/notifications-provider';
import { useBatchActions } from './batch-actions';
import {
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  formatTime,
  formatUsd,
} from './batch-format';
import { ConfirmDialog } from './confirm-dialog';
import { downloadResults, resultsFileName } from './download-results';
import { FailedItems } from './failed-items';
import { useLiveBatch, withLive, type ShownBatch } from './live-batches';
import { ProgressBar, StatusBadge } from './progress-bar';
import { NO_RESUME_SETTINGS, overridesOf, ResumeSettings } from './resume-settings';
import { useFocusReturn } from '../ui/use-focus-return';

export function BatchDetailPage({ batchId }: { batchId: string }) {
  const { client } = useApi();
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['batch', batchId],
    queryFn: () => client.getBatch(batchId),
    meta: { errorTitle: 'Could not load the batch' },
  });
  const live = useLiveBatch(batchId);
  // A status change: read the view again for what notifications do not carry (times, tokens, cost).
  useNotificationListener(() => void queryClient.invalidateQueries({ queryKey: ['batch', batchId] }), {
    topic: `batch:${batchId}`,
    type: 'batch.status',
  });

  if (query.isPending) return <p role="status">Loading the batch…</p>;
  if (!query.data) {
    const notFound = isApiError(query.error) && query.error.status === 404;
    return (
      <section className="panel" aria-labelledby="batch-missing">
        <h1 id="batch-missing">{notFound ? 'Batch not found' : 'Could not load the batch'}</h1>
        <p>
          {notFound
            ? `There is no batch ${batchId} of yours (it may have been discarded).`
            : query.error?.message}
        </p>
        <Link to="/batches">Back to the batches</Link>
      </section>
    );
  }
  return <BatchDetail batch={withLive(query.data, live)} />;
}

function BatchDetail({ batch }: { batch: ShownBatch }) {
  const name = batch.name || batch.batch_id;
  const running = batch.status === 'running';
  const hasUsage = batch.prompt_tokens > 0 || batch.completion_tokens > 0 || batch.cost_usd > 0;
  return (
    <article aria-labelledby="batch-title">
      <div className="page-header">
        <div>
          <p className="breadcrumb">
            <Link to="/batches">Batches</Link> /
          </p>
          <h1 id="batch-title">{name}</h1>
          <p className="muted">
            <code>{batch.batch_id}</code> · <StatusBadge status={batch.status} />
          </p>
        </div>
      </div>
      <BatchToolbar batch={batch} />
      <section className="panel" aria-labelledby="progress-title">
        <h2 id="progress-title">Progress</h2>
        <ProgressBar percent={batch.progress_percent} status={batch.status} label={`Progress of ${name}`} />
        <p className="progress-caption">{formatPercent(batch.progress_percent)} complete</p>
        {batch.status === 'paused' && batch.pause_reason && (
          <p className="notice notice-warning">Paused: {batch.pause_reason}</p>
        )}
        <dl className="stats">
          <Stat label="Completed" value={formatCount(batch.processed_count)} />
          <Stat label="Failed" value={formatCount(batch.failed_count)} />
          <Stat label="Pending" value={formatCount(batch.pending_count)} />
          <Stat label="Total" value={formatCount(batch.total_items)} />
          <Stat label="Rate" value={running ? formatRate(batch.items_per_second) : '—'} />
          <Stat label="ETA" value={running ? formatDuration(batch.eta_seconds) : '—'} />
          {hasUsage && (
            <>
              <Stat label="Prompt tokens" value={formatCount(batch.prompt_tokens)} />
              <Stat label="Completion tokens" value={formatCount(batch.completion_tokens)} />
              <Stat label="Cost" value={formatUsd(batch.cost_usd)} />
            </>
          )}
        </dl>
      </section>
      <section className="panel" aria-labelledby="about-title">
        <h2 id="about-title">Settings and times</h2>
        <dl className="facts">
          <dt>Provider</dt>
          <dd>{batch.config.provider ?? 'template'}</dd>
          {batch.config.model && (
            <>
              <dt>Model</dt>
              <dd>{batch.config.model}</dd>
            </>
          )}
          {batch.config.maxCostUsd !== undefined && (
            <>
              <dt>Budget</dt>
              <dd>{formatUsd(batch.config.maxCostUsd)}</dd>
            </>
          )}
          <dt>Created</dt>
          <dd>{formatTime(batch.created_at)}</dd>
          <dt>Started</dt>
          <dd>{formatTime(batch.started_at)}</dd>
          {batch.paused_at && (
            <>
              <dt>Paused</dt>
              <dd>{formatTime(batch.paused_at)}</dd>
            </>
          )}
          <dt>Ended</dt>
          <dd>{formatTime(batch.completed_at)}</dd>
          <dt>Last updated</dt>
          <dd>{formatTime(batch.last_checkpoint_at)}</dd>
        </dl>
      </section>
      <FailedItems batchId={batch.batch_id} failedCount={batch.failed_count} />
    </article>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function BatchToolbar({ batch }: { batch: BatchView }) {
  const api = useApi();
  const actions = useBatchActions(batch);
  const [confirm, setConfirm] = useState<'cancel' | 'discard' | null>(null);
  const [resuming, setResuming] = useState(false);
  const download = useAction(
    () => downloadResults(api, batch.batch_id, resultsFileName(batch.name, batch.batch_id)),
    {
      failure: 'Download failed',
      success: (bytes) => `Results downloaded (${formatCount(bytes)} bytes)`,
    },
  );
  const { status } = batch;
  const canRetry = batch.failed_count > 0 && status !== 'pending' && status !== 'cancelled';
  return (
    <div className="toolbar actions" role="group" aria-label="Batch actions">
      {status === 'pending' && (
        <ActionButton
          label="Start"
          busy="Starting…"
          action={actions.start}
          primary
          onClick={() => void actions.start.run()}
        />
      )}
      {status === 'running' && (
        <ActionButton
          label="Pause"
          busy="Pausing…"
          action={actions.pause}
          onClick={() => void actions.pause.run()}
        />
      )}
      {status === 'paused' && (
        <ActionButton
          label="Resume"
          busy="Resuming…"
          action={actions.resume}
          primary
          onClick={() => setResuming(true)}
        />
      )}
      {canRetry && (
        <ActionButton
          label="Retry failed"
          busy="Queuing…"
          action={actions.retryFailed}
          onClick={() => void actions.retryFailed.run()}
        />
      )}
      {(status === 'pending' || status === 'running' || status === 'paused') && (
        <ActionButton
          label="Cancel"
          busy="Cancelling…"
          action={actions.cancel}
          onClick={() => setConfirm('cancel')}
        />
      )}
      {batch.processed_count > 0 && (
        <ActionButton
          label="Download results"
          busy="Downloading…"
          action={download}
          onClick={() => void download.run()}
        />
      )}
      {status !== 'running' && (
        <ActionButton
          label="Discard"
          busy="Discarding…"
          action={actions.discard}
          danger
          onClick={() => setConfirm('discard')}
        />
      )}
      <ConfirmDialog
        open={confirm === 'cancel'}
        onOpenChange={(open) => !open && setConfirm(null)}
        title="Cancel this batch?"
        confirmLabel="Cancel batch"
        danger
        onConfirm={() => void actions.cancel.run()}
      >
        Pending items will not be generated. Completed conversations are kept.
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'discard'}
        onOpenChange={(open) => !open && setConfirm(null)}
        title="Discard this batch?"
        confirmLabel="Discard batch"
        danger
        onConfirm={() => void actions.discard.run().then((done) => done && navigate('/batches'))}
      >
        The batch disappears from your lists and cannot be resumed.
      </ConfirmDialog>
      <ResumeWithSettingsDialog
        batch={batch}
        open={resuming}
        onOpenChange={setResuming}
        onResume={(overrides, retryFailed) => void actions.resume.run(overrides, retryFailed)}
      />
    </div>
  );
}

function ActionButton({
  label,
  busy,
  action,
  onClick,
  primary = false,
  danger = false,
}: {
  label: string;
  busy: string;
  action: { pending: boolean };
  onClick: () => void;
  primary?: boolean;
  danger?: boolean;
}) {
  return (
    <button
      type="button"
      className={`button${primary ? ' button-primary' : ''}${danger ? ' button-danger' : ''}`}
      disabled={action.pending}
      aria-busy={action.pending}
      onClick={onClick}
    >
      {action.pending ? busy : label}
    </button>
  );
}

function ResumeWithSettingsDialog({
  batch,
  open,
  onOpenChange,
  onResume,
}: {
  batch: BatchView;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onResume: (overrides: ReturnType<typeof overridesOf>, retryFailed: boolean) => void;
}) {
  const [settings, setSettings] = useState(NO_RESUME_SETTINGS);
  const returnFocus = useFocusReturn(open);
  const resume = (retryFailed: boolean) => {
    onOpenChange(false);
    onResume(overridesOf(settings), retryFailed);
  };
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog-content" onCloseAutoFocus={returnFocus}>
          <Dialog.Title className="dialog-title">Resume {batch.name || batch.batch_id}</Dialog.Title>
          <Dialog.Description className="dialog-description">
            Pending items go on; completed ones are never generated again and failed ones stay failed unless
            you retry them.{batch.pause_reason ? ` Paused: ${batch.pause_reason}.` : ''}
          </Dialog.Description>
          <ResumeSettings
            value={settings}
            onChange={setSettings}
            current={{
              model: batch.config.model,
              credential: batch.config.credential,
              maxCostUsd: batch.config.maxCostUsd,
            }}
          />
          <div className="dialog-footer">
            <Dialog.Close className="button">Not now</Dialog.Close>
            {batch.failed_count > 0 && (
              <button type="button" className="button" onClick={() => resume(true)}>
                Resume and retry failed
              </button>
            )}
            <button type="button" className="button button-primary" onClick={() => resume(false)}>
              Resume Batch
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
