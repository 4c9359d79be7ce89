import type { ToastKind } from './toast-kinds';

export interface FieldIssue {
  field: string;
  message: string;
}

export interface ToastAction {
  label: string;
  onClick: () => void;
}

/** One toast, as the console asks for it; `showToast` turns it into a sonner toast. */
export interface ToastSpec {
  kind: ToastKind;
  title: string;
  message?: string;
  /** Same key within the de-dup window (or while shown): one toast with a repeat count. */
  dedupKey?: string;
  /** Occurrences this report stands for (a server repeat message carries its count). */
  occurrences?: number;
  /** "Error Code: {code}". */
  code?: string;
  /** "Validation Error": the failing fields. */
  fields?: FieldIssue[];
  /** Action required: "Retry available in {t}" counting down, then "Retry Now". */
  retryAfterSeconds?: number;
  onRetry?: () => void;
  /** "Retry" (a failed request, a network error). */
  retry?: () => void;
  onViewDetails?: () => void;
  action?: ToastAction;
  /** Stays until dismissed or acted on, whatever its kind's duration (a toast waiting for its Retry). */
  persistent?: boolean;
}
