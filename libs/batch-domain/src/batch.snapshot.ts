import type { BatchConfig } from '@batch/contracts';
import { noUsage, type Batch, type BatchLifecycle, type BatchState } from './batch.state.js';
import { ItemIds } from './item-ids.js';
import { emptyTable, ItemCode, type ItemTable } from './item-table.js';

export const SNAPSHOT_VERSION = 1;

/**
 * A batch as plain JSON, compact for 1,000,000 items: ids as one newline-separated string (ids hold
 * no whitespace; splitting is far faster than parsing an array), statuses as one base64 byte
 * string, attempts only where they differ from the first.
 */
export interface BatchSnapshot {
  v: typeof SNAPSHOT_VERSION;
  /** `usage` is absent from snapshots taken before batches counted it: zero then. */
  batch: Omit<Batch, 'items' | 'status' | 'usage'> & { status: BatchLifecycle; usage?: Batch['usage'] };
  items: {
    ids: string;
    status: string;
    /** [index, attempt] for every item past its first attempt. */
    attempts: [number, number][];
  };
}

/** The state as a snapshot; nothing for a batch that does not exist yet. */
export function toSnapshot(state: BatchState): BatchSnapshot | undefined {
  if (state.status === 'empty') return undefined;
  const { items, ...batch } = state;
  const attempts: [number, number][] = [];
  for (let index = 0; index < items.size; index++)
    if (items.attempt[index] !== 1) attempts.push([index, items.attempt[index]!]);
  return {
    v: SNAPSHOT_VERSION,
    batch,
    items: {
      ids: items.ids.toText(),
      status: Buffer.from(items.status.buffer, items.status.byteOffset, items.size).toString('base64'),
      attempts,
    },
  };
}

export function fromSnapshot(snapshot: BatchSnapshot): BatchState {
  if (snapshot.v !== SNAPSHOT_VERSION) throw new RangeError(`unknown snapshot version ${String(snapshot.v)}`);
  const { status, attempts } = snapshot.items;
  const ids = ItemIds.fromText(snapshot.items.ids);
  const table: ItemTable = { ...emptyTable(ids.size), size: ids.size, ids };
  table.status.set(Buffer.from(status, 'base64'));
  table.attempt.fill(1, 0, ids.size);
  for (const [index, attempt] of attempts) table.attempt[index] = attempt;
  for (let index = 0; index < ids.size; index++) {
    const code = table.status[index];
    if (code === ItemCode.pending) table.pending++;
    else if (code === ItemCode.completed) table.completed++;
    else table.failed++;
  }
  return {
    ...snapshot.batch,
    config: snapshot.batch.config as BatchConfig,
    usage: { ...noUsage(), ...snapshot.batch.usage },
    items: table,
  };
}
