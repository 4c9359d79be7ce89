import type { BatchView } from '@batch/client';
import * as Dialog from '@radix-ui/react-dialog';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useApi } from '../api/api-context';
import { Link } from '../app/router';
import { useBatchActions } from './batch-actions';
import { formatCount, formatTime } from './batch-format';
import { useLiveBatch, withLive } from './live-batches';
import { ProgressBar, StatusBadge } from './progress-bar';
import { batchesToOffer, rememberClosed, rememberHandled } from './resume-memory';
import { NO_RESUME_SETTINGS, overridesOf, ResumeSettings } from './resume-settings';
import { useFocusReturn } from '../ui/use-focus-return';

/**
 * On load (seeds 000/001/004): the user's incomplete batches, to resume (paused), start (pending)
 * or follow (running), or discard.
 */
export function ResumeDialogOnLoad() {
  const { client } = useApi();
  const incomplete = useQuery({
    queryKey: ['incomplete-on-load'],
    queryFn: () => client.incompleteBatches(),
    staleTime: Number.POSITIVE_INFINITY,
    meta: { errorTitle: 'Could not check for incomplete batches' },
  });
  const [offered, setOffered] = useState<BatchView[] | null>(null);
  useEffect(() => {
    if (incomplete.data && offered === null) setOffered(batchesToOffer(incomplete.data.batches));
  }, [incomplete.data, offered]);

  if (!offered || offered.length === 0) return null;
  const done = (batch: BatchView) => {
    rememberHandled(batch);
    setOffered((current) => (current ?? []).filter((other) => other.batch_id !== batch.batch_id));
  };
  return (
    <ResumeDialog
      batches={offered}
      onHandled={done}
      onClose={() => {
        rememberClosed(offered);
        setOffered([]);
      }}
    />
  );
}

export function ResumeDialog({
  batches,
  onHandled,
  onClose,
}: {
  batches: BatchView[];
  onHandled: (batch: BatchView) => void;
  onClose: () => void;
}) {
  const count = batches.length;
  const returnFocus = useFocusReturn(true);
  return (
    <Dialog.Root open onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog-content dialog-wide" onCloseAutoFocus={returnFocus}>
          <div className="dialog-header">
            <Dialog.Title className="dialog-title">Incomplete Batch Detected</Dialog.Title>
            <Dialog.Close className="icon-button" aria-label="Close">
              ×
            </Dialog.Close>
          </div>
          <Dialog.Description className="dialog-description">
            You have {count} incomplete batch{count === 1 ? '' : 'es'} that can be resumed.
          </Dialog.Description>
          <ul className="resume-list">
            {batches.map((batch) => (
              <li key={batch.batch_id}>
                <IncompleteBatchCard view={batch} onHandled={() => onHandled(batch)} />
              </li>
            ))}
          </ul>
          <div className="dialog-footer">
            <Dialog.Close className="button">Not now</Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function IncompleteBatchCard({ view, onHandled }: { view: BatchView; onHandled: () => void }) {
  const batch = withLive(view, useLiveBatch(view.batch_id));
  const actions = useBatchActions(batch);
  const [changing, setChanging] = useState(false);
  const [settings, setSettings] = useState(NO_RESUME_SETTINGS);
  const titleId = useId();
  const settingsId = useId();
  const name = batch.name || batch.batch_id;
  const percent = Math.round(batch.progress_percent);
  const busy = actions.resume.pending || actions.start.pending || actions.discard.pending;
  const resume = (retryFailed: boolean) =>
    void actions.resume.run(overridesOf(settings), retryFailed).then((done) => done && onHandled());

  return (
    <section className="resume-card" aria-labelledby={titleId}>
      <div className="resume-card-header">
        <h3 id={titleId}>
          <Link to={`/batches/${encodeURIComponent(batch.batch_id)}`}>{name}</Link>
        </h3>
        <StatusBadge status={batch.status} />
      </div>
      <div className="resume-progress">
        <span>Batch Progress</span>
        <span>{percent}% complete</span>
      </div>
      <ProgressBar percent={batch.progress_percent} status={batch.status} label={`Progress of ${name}`} />
      <dl className="stats stats-compact">
        <div className="stat">
          <dt>Completed</dt>
          <dd>{formatCount(batch.processed_count)}</dd>
        </div>
        <div className="stat">
          <dt>Failed</dt>
          <dd>{formatCount(batch.failed_count)}</dd>
        </div>
        <div className="stat">
          <dt>Pending</dt>
          <dd>{formatCount(batch.pending_count)}</dd>
        </div>
      </dl>
      <p className="muted">Last updated: {formatTime(batch.last_checkpoint_at ?? batch.created_at)}</p>
      {batch.status === 'paused' && batch.pause_reason && (
        <p className="notice notice-warning">Paused: {batch.pause_reason}</p>
      )}
      {batch.status === 'paused' && batch.failed_count > 0 && (
        <p className="muted">
          {formatCount(batch.failed_count)} failed item{batch.failed_count === 1 ? '' : 's'} will be skipped
          by a resume; use “Resume and retry failed” to generate them again.
        </p>
      )}
      {batch.status === 'running' && <p className="muted">Running: progress updates live.</p>}
      {batch.status === 'paused' && changing && (
        <div id={settingsId}>
          <ResumeSettings
            value={settings}
            onChange={setSettings}
            current={{
              model: batch.config.model,
              credential: batch.config.credential,
              maxCostUsd: batch.config.maxCostUsd,
            }}
          />
        </div>
      )}
      <div className="toolbar">
        {batch.status === 'paused' && (
          <>
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              aria-busy={actions.resume.pending}
              onClick={() => resume(false)}
            >
              {actions.resume.pending ? 'Resuming…' : 'Resume Batch'}
            </button>
            {batch.failed_count > 0 && (
              <button type="button" className="button" disabled={busy} onClick={() => resume(true)}>
                Resume and retry failed
              </button>
            )}
            <button
              type="button"
              className="button"
              aria-expanded={changing}
              aria-controls={changing ? settingsId : undefined}
              onClick={() => setChanging((shown) => !shown)}
            >
              Change settings
            </button>
          </>
        )}
        {batch.status === 'pending' && (
          <button
            type="button"
            className="button button-primary"
            disabled={busy}
            aria-busy={actions.start.pending}
            onClick={() => void actions.start.run().then((done) => done && onHandled())}
          >
            {actions.start.pending ? 'Starting…' : 'Start'}
          </button>
        )}
        {batch.status !== 'running' && (
          <button
            type="button"
            className="button button-danger"
            disabled={busy}
            aria-busy={actions.discard.pending}
            onClick={() => void actions.discard.run().then((done) => done && onHandled())}
          >
            {actions.discard.pending ? 'Discarding…' : 'Discard Batch'}
          </button>
        )}
      </div>
    </section>
  );
}
