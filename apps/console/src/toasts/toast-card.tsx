import { useEffect, useState } from 'react';
import { formatCountdown, isAssertive, secondsUntil } from './toast-kinds';
import type { ToastSpec } from './toast-spec';

export interface ToastCardProps {
  spec: ToastSpec;
  occurrences: number;
  /** When a countdown reaches 0 (ms since the epoch); set once when the toast is first shown. */
  retryDeadline?: number;
  onDismiss: () => void;
}

const ICONS = {
  success: '✓',
  info: 'i',
  warning: '!',
  temporary: '!',
  permanent: '×',
  action: '!',
} as const;

/** The body of every console toast: title, message, details and its buttons. */
export function ToastCard({ spec, occurrences, retryDeadline, onDismiss }: ToastCardProps) {
  const dismissThen = (then?: () => void) => () => {
    onDismiss();
    then?.();
  };
  return (
    <div
      className={`toast toast-${spec.kind}`}
      role={isAssertive(spec.kind) ? 'alert' : 'status'}
      aria-atomic="true"
      data-testid="toast"
      data-kind={spec.kind}
    >
      <span className="toast-icon" aria-hidden="true">
        {ICONS[spec.kind]}
      </span>
      <div className="toast-body">
        <div className="toast-title">
          {spec.title}
          {occurrences > 1 && (
            <span className="toast-repeat" aria-label={`repeated ${occurrences} times`}>
              ×{occurrences}
            </span>
          )}
        </div>
        {spec.message && <div className="toast-message">{spec.message}</div>}
        {spec.code && <div className="toast-code">Error Code: {spec.code}</div>}
        {spec.fields && spec.fields.length > 0 && (
          <ul className="toast-fields" aria-label="Fields with errors">
            {spec.fields.map((issue) => (
              <li key={`${issue.field}:${issue.message}`}>
                <strong>{issue.field}</strong>: {issue.message}
              </li>
            ))}
          </ul>
        )}
        {retryDeadline !== undefined && (
          <RetryCountdown deadline={retryDeadline} onRetry={dismissThen(spec.onRetry)} />
        )}
        <div className="toast-actions">
          {spec.retry && (
            <button type="button" className="button button-small" onClick={dismissThen(spec.retry)}>
              Retry
            </button>
          )}
          {spec.onViewDetails && (
            <button type="button" className="button-link" onClick={spec.onViewDetails}>
              View Details
            </button>
          )}
          {spec.action && (
            <button type="button" className="button button-small" onClick={dismissThen(spec.action.onClick)}>
              {spec.action.label}
            </button>
          )}
        </div>
      </div>
      <button type="button" className="toast-close" aria-label={`Dismiss: ${spec.title}`} onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}

/** "Retry available in 42s", ticking each second from a fixed deadline; "Retry Now" at 0. */
export function RetryCountdown({ deadline, onRetry }: { deadline: number; onRetry: () => void }) {
  const [now, setNow] = useState(() => Date.now());
  const left = secondsUntil(deadline, now);
  useEffect(() => {
    if (left <= 0) return;
    // Wake up when the whole second shown changes.
    const delay = Math.max(50, deadline - Date.now() - (left - 1) * 1000);
    const timer = setTimeout(() => setNow(Date.now()), delay);
    return () => clearTimeout(timer);
  }, [left, deadline, now]);
  if (left > 0)
    return (
      <div className="toast-countdown" aria-live="off">
        Retry available in {formatCountdown(left)}
      </div>
    );
  return (
    <button type="button" className="button button-small" onClick={onRetry}>
      Retry Now
    </button>
  );
}
