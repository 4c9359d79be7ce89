import type { BatchView } from '@batch/client';

/**
 * What the resume dialog remembers so it does not come back for the same thing:
 * - batches the user resumed, started or discarded from it (localStorage, kept): shown again only
 *   if paused again later (another `paused_at`);
 * - batches it showed when the user closed it (sessionStorage, this tab): shown again once their
 *   status or pause changed.
 */
const HANDLED_KEY = 'batch-console.resume-dialog.handled';
const CLOSED_KEY = 'batch-console.resume-dialog.closed';

type Memory = Record<string, string>;

function read(storage: Storage, key: string): Memory {
  try {
    const value: unknown = JSON.parse(storage.getItem(key) ?? '{}');
    return typeof value === 'object' && value !== null ? (value as Memory) : {};
  } catch {
    return {};
  }
}

function write(storage: Storage, key: string, memory: Memory): void {
  // Bounded: the newest 500 entries are plenty for a dialog about a few batches.
  const entries = Object.entries(memory).slice(-500);
  storage.setItem(key, JSON.stringify(Object.fromEntries(entries)));
}

const pauseOf = (batch: Pick<BatchView, 'paused_at'>) => batch.paused_at ?? '';
const signatureOf = (batch: Pick<BatchView, 'status' | 'paused_at'>) => `${batch.status}:${pauseOf(batch)}`;

export function rememberHandled(batch: Pick<BatchView, 'batch_id' | 'paused_at'>): void {
  write(localStorage, HANDLED_KEY, { ...read(localStorage, HANDLED_KEY), [batch.batch_id]: pauseOf(batch) });
}

export function rememberClosed(batches: Pick<BatchView, 'batch_id' | 'status' | 'paused_at'>[]): void {
  const memory = read(sessionStorage, CLOSED_KEY);
  for (const batch of batches) memory[batch.batch_id] = signatureOf(batch);
  write(sessionStorage, CLOSED_KEY, memory);
}

/** The incomplete batches the dialog should offer now. */
export function batchesToOffer<B extends Pick<BatchView, 'batch_id' | 'status' | 'paused_at'>>(
  batches: B[],
): B[] {
  const handled = read(localStorage, HANDLED_KEY);
  const closed = read(sessionStorage, CLOSED_KEY);
  return batches.filter((batch) => {
    const handledPause = handled[batch.batch_id];
    if (handledPause !== undefined && !(batch.status === 'paused' && pauseOf(batch) !== handledPause))
      return false;
    return closed[batch.batch_id] !== signatureOf(batch);
  });
}
