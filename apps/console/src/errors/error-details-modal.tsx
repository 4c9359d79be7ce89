import * as Dialog from '@radix-ui/react-dialog';
import * as Tabs from '@radix-ui/react-tabs';
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { whatYouCanDo, type ErrorDetails } from './error-details';
import { copyText } from './copy-text';
import { copyPayloadOf, reportBodyOf, reportMailto } from './error-report';
import { sanitizedJson, sanitizeText } from './sanitize';
import { filterTechnical, splitMatches, type TechnicalBlock } from './technical-search';
import { useFocusReturn } from '../ui/use-focus-return';

export const COPIED_FOR_MS = 2000;

export interface ErrorDetailsModalProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  details: ErrorDetails | null;
  loading?: boolean;
  /** Why the details could not be loaded. */
  loadError?: string | null;
  /** Where "Report issue" mails to; without one the report is shown to copy. */
  reportEmail?: string;
  /** Renders batch ids as links to their pages. */
  batchLink?: (batchId: string) => ReactNode;
}

/** Error details (seed 004 prompt 7): Summary and Technical tabs, copy, search, report, Esc closes. */
export function ErrorDetailsModal({
  open,
  onOpenChange,
  details,
  loading = false,
  loadError = null,
  reportEmail,
  batchLink,
}: ErrorDetailsModalProps) {
  const returnFocus = useFocusReturn(open);
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content
          className="dialog-content dialog-wide"
          aria-describedby="error-details-description"
          onCloseAutoFocus={returnFocus}
        >
          <div className="dialog-header">
            <Dialog.Title className="dialog-title">Error Details</Dialog.Title>
            <Dialog.Close className="icon-button" aria-label="Close">
              ×
            </Dialog.Close>
          </div>
          {details ? (
            <DetailsBody details={details} reportEmail={reportEmail} batchLink={batchLink} />
          ) : (
            <Dialog.Description id="error-details-description" role={loadError ? 'alert' : 'status'}>
              {loading ? 'Loading error details…' : (loadError ?? 'No details.')}
            </Dialog.Description>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function DetailsBody({
  details,
  reportEmail,
  batchLink,
}: {
  details: ErrorDetails;
  reportEmail?: string;
  batchLink?: (batchId: string) => ReactNode;
}) {
  const [copied, setCopied] = useState(false);
  const [copyFailed, setCopyFailed] = useState(false);
  const [showReport, setShowReport] = useState(false);

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), COPIED_FOR_MS);
    return () => clearTimeout(timer);
  }, [copied]);

  const copy = async () => {
    try {
      await copyText(copyPayloadOf(details));
      setCopyFailed(false);
      setCopied(true);
    } catch {
      setCopyFailed(true);
    }
  };

  return (
    <>
      <Dialog.Description id="error-details-description" className="dialog-description">
        {sanitizeText(details.userMessage)}
      </Dialog.Description>
      <div className="toolbar">
        <button type="button" className="button button-small" onClick={() => void copy()} aria-live="polite">
          {copied ? 'Copied' : 'Copy'}
        </button>
        {reportEmail ? (
          <a className="button button-small" href={reportMailto(reportEmail, details)}>
            Report issue
          </a>
        ) : (
          <button
            type="button"
            className="button button-small"
            aria-expanded={showReport}
            onClick={() => setShowReport((shown) => !shown)}
          >
            Report issue
          </button>
        )}
        {copyFailed && <span role="alert">Copying failed: select the text and copy it.</span>}
      </div>
      {showReport && !reportEmail && <CopyableReport details={details} />}
      <Tabs.Root defaultValue="summary" className="tabs">
        <Tabs.List className="tab-list" aria-label="Error details">
          <Tabs.Trigger value="summary" className="tab">
            Summary
          </Tabs.Trigger>
          <Tabs.Trigger value="technical" className="tab">
            Technical
          </Tabs.Trigger>
        </Tabs.List>
        <Tabs.Content value="summary" className="tab-panel">
          <Summary details={details} batchLink={batchLink} />
        </Tabs.Content>
        <Tabs.Content value="technical" className="tab-panel">
          <Technical details={details} />
        </Tabs.Content>
      </Tabs.Root>
    </>
  );
}

function CopyableReport({ details }: { details: ErrorDetails }) {
  const id = useId();
  const text = `${`Error Report: ${details.name}`}\n\n${reportBodyOf(details)}`;
  const [copied, setCopied] = useState(false);
  return (
    <div className="report">
      <label htmlFor={id}>Issue report (copy it into your report)</label>
      <textarea id={id} readOnly rows={6} value={text} onFocus={(event) => event.currentTarget.select()} />
      <button
        type="button"
        className="button button-small"
        onClick={() => void copyText(text).then(() => setCopied(true))}
      >
        {copied ? 'Report copied' : 'Copy report'}
      </button>
    </div>
  );
}

function Summary({
  details,
  batchLink,
}: {
  details: ErrorDetails;
  batchLink?: (batchId: string) => ReactNode;
}) {
  const { batchId, itemId } = details.context;
  return (
    <dl className="facts">
      <dt>What Happened</dt>
      <dd>{sanitizeText(details.userMessage)}</dd>
      {details.errorId && (
        <>
          <dt>Error ID</dt>
          <dd>
            <code>{details.errorId}</code>
          </dd>
        </>
      )}
      <dt>Error Type</dt>
      <dd>
        <code>{details.code}</code> {details.name !== details.code && <span>({details.name})</span>}
      </dd>
      <dt>Category</dt>
      <dd>{details.category.replace('_', ' ')}</dd>
      <dt>Recoverable</dt>
      <dd>
        <span className={`badge ${details.isRecoverable ? 'badge-ok' : 'badge-bad'}`}>
          {details.isRecoverable ? 'Yes - Can Retry' : 'No - Permanent Error'}
        </span>
      </dd>
      <dt>When</dt>
      <dd>
        <time dateTime={details.occurredAt}>{new Date(details.occurredAt).toLocaleString()}</time>
        {details.occurrences !== undefined && details.occurrences > 1 && ` (${details.occurrences} times)`}
      </dd>
      {batchId && (
        <>
          <dt>Batch</dt>
          <dd>{batchLink ? batchLink(batchId) : <code>{batchId}</code>}</dd>
        </>
      )}
      {itemId && (
        <>
          <dt>Item</dt>
          <dd>
            <code>{itemId}</code>
          </dd>
        </>
      )}
      <dt>What You Can Do</dt>
      <dd>
        <ul>
          {whatYouCanDo(details).map((advice) => (
            <li key={advice}>{advice}</li>
          ))}
        </ul>
      </dd>
    </dl>
  );
}

export function technicalBlocksOf(details: ErrorDetails): TechnicalBlock[] {
  const context = Object.fromEntries(
    Object.entries(details.context).filter(([, value]) => value !== undefined),
  );
  const blocks: (TechnicalBlock | false)[] = [
    { title: 'Error Code', text: details.code },
    { title: 'Error Name', text: details.name },
    { title: 'Error Message', text: sanitizeText(details.technicalMessage || details.userMessage) },
    { title: 'Timestamp', text: details.occurredAt },
    Object.keys(context).length > 0 && { title: 'Context', text: sanitizedJson(context) },
    details.request !== undefined && { title: 'Request', text: sanitizedJson(details.request) },
    details.response !== undefined && { title: 'Response', text: sanitizedJson(details.response) },
    { title: 'Stack Trace', text: details.stack ? sanitizeText(details.stack) : 'No stack trace available' },
  ];
  return blocks.filter((block): block is TechnicalBlock => block !== false);
}

function Technical({ details }: { details: ErrorDetails }) {
  const [query, setQuery] = useState('');
  const searchId = useId();
  const blocks = useMemo(() => technicalBlocksOf(details), [details]);
  const filtered = useMemo(() => filterTechnical(blocks, query), [blocks, query]);
  return (
    <div className="technical">
      <label htmlFor={searchId} className="visually-hidden">
        Search technical details
      </label>
      <input
        id={searchId}
        type="search"
        placeholder="Search in technical details…"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
      />
      <p role="status" className="muted">
        {query.trim() === '' ? '' : `${filtered.matches} matching line${filtered.matches === 1 ? '' : 's'}`}
      </p>
      {filtered.blocks.map((block) => (
        <section key={block.title} aria-label={block.title}>
          <h4>{block.title}</h4>
          <pre className="code-block" tabIndex={0}>
            {block.lines.map((line, index) => (
              <span key={index} className="code-line">
                {splitMatches(line, query).map((part, partIndex) =>
                  part.match ? <mark key={partIndex}>{part.text}</mark> : part.text,
                )}
                {'\n'}
              </span>
            ))}
          </pre>
        </section>
      ))}
    </div>
  );
}
