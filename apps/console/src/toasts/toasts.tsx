import { toast } from 'sonner';
import { DEDUP_WINDOW_MS, TOAST_DURATION_MS, type ToastKind } from './toast-kinds';
import { ToastCard } from './toast-card';
import type { ToastSpec } from './toast-spec';

interface Shown {
  toastId: string;
  occurrences: number;
  lastAt: number;
  visible: boolean;
  retryDeadline?: number;
}

/** Toasts shown, by de-dup key: a repeat within the window (or while still shown) updates the count. */
const shownByKey = new Map<string, Shown>();
let nextId = 0;

/** Clock of the de-dup window; tests set their own. */
let clock: () => number = () => Date.now();
export function setToastClock(now: () => number): void {
  clock = now;
}

/** Forgets every toast (tests). */
export function resetToasts(): void {
  shownByKey.clear();
  toast.dismiss();
}

const keyOf = (spec: ToastSpec): string =>
  spec.dedupKey ?? `${spec.kind}:${spec.title}:${spec.message ?? ''}`;

/**
 * Shows a toast, or counts a repeat on the same one: at most one toast per key, its count going up
 * ("×3"), its timer starting again. Returns the sonner toast id.
 */
export function showToast(spec: ToastSpec): string {
  const key = keyOf(spec);
  const now = clock();
  const occurrences = Math.max(1, spec.occurrences ?? 1);
  const previous = shownByKey.get(key);
  const repeat = previous !== undefined && (previous.visible || now - previous.lastAt < DEDUP_WINDOW_MS);
  const shown: Shown = repeat
    ? { ...previous, occurrences: previous.occurrences + occurrences, lastAt: now, visible: true }
    : {
        toastId: `toast-${++nextId}`,
        occurrences,
        lastAt: now,
        visible: true,
        retryDeadline:
          spec.retryAfterSeconds === undefined ? undefined : Date.now() + spec.retryAfterSeconds * 1000,
      };
  shownByKey.set(key, shown);
  const hidden = () => {
    const current = shownByKey.get(key);
    if (current?.toastId === shown.toastId) current.visible = false;
  };
  toast.custom(
    (id) => (
      <ToastCard
        spec={spec}
        occurrences={shown.occurrences}
        retryDeadline={shown.retryDeadline}
        onDismiss={() => toast.dismiss(id)}
      />
    ),
    {
      id: shown.toastId,
      duration: spec.persistent ? Number.POSITIVE_INFINITY : TOAST_DURATION_MS[spec.kind],
      onDismiss: hidden,
      onAutoClose: hidden,
    },
  );
  return shown.toastId;
}

export function dismissToast(toastId: string): void {
  toast.dismiss(toastId);
}

const simple =
  (kind: ToastKind) =>
  (title: string, message?: string, extra: Partial<ToastSpec> = {}): string =>
    showToast({ kind, title, message, ...extra });

export const notify = {
  success: simple('success'),
  info: simple('info'),
  warning: simple('warning'),
  temporaryError: simple('temporary'),
  permanentError: simple('permanent'),
  actionRequired: simple('action'),
};
