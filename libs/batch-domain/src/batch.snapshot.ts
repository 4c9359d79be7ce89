import type { BatchConfig } from '@batch/contracts';
import type { Batch, BatchLifecycle, BatchState } from './batch.state.js';
import { emptyTable, type ItemTable } from './item-table.js';

export const SNAPSHOT_VERSION = 1;

/**
 * A batch as plain JSON, compact for 1,000,000 items: ids and topics as arrays, statuses as one
 * base64 byte string, attempts and parameters only where they differ from the default.
 */
export interface BatchSnapshot {
  v: typeof SNAPSHOT_VERSION;
  batch: Omit<Batch, 'items' | 'status'> & { status: BatchLifecycle };
  items: {
    ids: string[];
    topics: string[];
    status: string;
    /** [index, attempt] for every item past its first attempt. */
    attempts: [number, number][];
    parameters: [number, Record<string, unknown>][];
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
      ids: items.ids,
      topics: items.topics,
      status: Buffer.from(items.status.buffer, items.status.byteOffset, items.size).toString('base64'),
      attempts,
      parameters: [...items.parameters],
    },
  };
}

export function fromSnapshot(snapshot: BatchSnapshot): BatchState {
  if (snapshot.v !== SNAPSHOT_VERSION) throw new RangeError(`unknown snapshot version ${String(snapshot.v)}`);
  const { ids, topics, status, attempts, parameters } = snapshot.items;
  const table: ItemTable = emptyTable(ids.length);
  table.size = ids.length;
  table.ids = ids;
  table.topics = topics;
  table.parameters = new Map(parameters);
  table.status.set(Buffer.from(status, 'base64'));
  table.attempt.fill(1, 0, ids.length);
  for (const [index, attempt] of attempts) table.attempt[index] = attempt;
  for (let index = 0; index < ids.length; index++) {
    table.indexOf.set(ids[index]!, index);
    const code = table.status[index];
    if (code === 0) table.pending++;
    else if (code === 1) table.completed++;
    else table.failed++;
  }
  return { ...snapshot.batch, config: snapshot.batch.config as BatchConfig, items: table };
}
