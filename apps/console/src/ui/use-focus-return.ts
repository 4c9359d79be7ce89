import { useCallback, useLayoutEffect, useRef } from 'react';

/**
 * Radix gives the focus back to a `Dialog.Trigger` only; the console opens dialogs from elsewhere
 * (a toast, a table row, on load). This remembers what had the focus when `open` became true and
 * returns it on close: pass the result as `Dialog.Content`'s `onCloseAutoFocus`.
 */
export function useFocusReturn(open: boolean): (event: Event) => void {
  const opener = useRef<HTMLElement | null>(null);
  // A layout effect runs before Radix's focus scope moves the focus into the dialog.
  useLayoutEffect(() => {
    if (open) opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  }, [open]);
  return useCallback((event: Event) => {
    const target = opener.current;
    opener.current = null;
    if (target && target.isConnected && target !== document.body) {
      event.preventDefault();
      target.focus();
    }
  }, []);
}
