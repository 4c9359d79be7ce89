import { useSyncExternalStore } from 'react';
import type { ErrorDetailsSource } from './error-details';

/**
 * The error details modal is opened from anywhere (a toast, an error boundary, a failed item):
 * one modal, fed by this tiny store.
 */
let current: ErrorDetailsSource | null = null;
const listeners = new Set<() => void>();

export function showErrorDetails(source: ErrorDetailsSource): void {
  current = source;
  for (const listener of listeners) listener();
}

export function closeErrorDetails(): void {
  current = null;
  for (const listener of listeners) listener();
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

export function useErrorDetailsSource(): ErrorDetailsSource | null {
  return useSyncExternalStore(
    subscribe,
    () => current,
    () => null,
  );
}
