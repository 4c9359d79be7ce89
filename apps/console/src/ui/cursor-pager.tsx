import type { Dispatch, SetStateAction } from 'react';

interface CursorPagerProps {
  label: string;
  /** The cursors of the pages up to the one shown (the first page's is undefined). */
  cursors: (string | undefined)[];
  setCursors: Dispatch<SetStateAction<(string | undefined)[]>>;
  /** The shown page's `next_cursor`; null or undefined on the last page. */
  nextCursor: string | null | undefined;
  /** The shown rows are the previous page's while the next one loads. */
  loading: boolean;
}

/** Previous / next over a list's server cursors. */
export function CursorPager({ label, cursors, setCursors, nextCursor, loading }: CursorPagerProps) {
  return (
    <nav className="pager" aria-label={label}>
      <button
        type="button"
        className="button"
        disabled={cursors.length <= 1}
        onClick={() => setCursors((previous) => previous.slice(0, -1))}
      >
        Previous page
      </button>
      <span>Page {cursors.length}</span>
      <button
        type="button"
        className="button"
        disabled={!nextCursor || loading}
        onClick={() => setCursors((previous) => [...previous, nextCursor ?? undefined])}
      >
        Next page
      </button>
    </nav>
  );
}
