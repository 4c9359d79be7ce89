import { useCallback, useRef, useState } from 'react';
import { notify } from '../toasts/toasts';
import { reportError } from './report-error';

export interface ActionOptions<A extends unknown[], R> {
  /** The success toast, from the result. */
  success?: (result: R, ...args: A) => string | null;
  /** Title of the failure toast, e.g. "Pause failed". */
  failure: string;
  onSuccess?: (result: R, ...args: A) => void;
}

export interface Action<A extends unknown[]> {
  /** Resolves true when it succeeded (failures are reported, never thrown). */
  run: (...args: A) => Promise<boolean>;
  pending: boolean;
}

/**
 * A user action against the API: a loading state while it runs, its result as a toast (success,
 * or the error's own toast, whose Retry runs it again with the same arguments).
 */
export function useAction<A extends unknown[], R>(
  perform: (...args: A) => Promise<R>,
  options: ActionOptions<A, R>,
): Action<A> {
  const [pending, setPending] = useState(false);
  const latest = useRef({ perform, options });
  latest.current = { perform, options };

  const run = useCallback(async (...args: A): Promise<boolean> => {
    setPending(true);
    try {
      const result = await latest.current.perform(...args);
      const message = latest.current.options.success?.(result, ...args);
      if (message) notify.success(message);
      latest.current.options.onSuccess?.(result, ...args);
      return true;
    } catch (error) {
      reportError(error, { title: latest.current.options.failure, retry: () => void run(...args) });
      return false;
    } finally {
      setPending(false);
    }
  }, []);
  return { run, pending };
}
