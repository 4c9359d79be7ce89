import type { ItemStatus } from '@batch/contracts';
import { ItemIds } from './item-ids.js';

/** Status codes of the table's byte array. */
export const ItemCode = { pending: 0, completed: 1, failed: 2 } as const;
type ItemCode = (typeof ItemCode)[keyof typeof ItemCode];
const STATUS_OF: readonly ItemStatus[] = ['pending', 'completed', 'failed'];

/**
 * Per-item status of a batch, sized for 1,000,000 items: ids in the order they were added (compact,
 * see ItemIds), one byte
 * of status and a 32-bit attempt per item, counts kept as items move. What an item asks for (topic,
 * parameters) stays in its ItemsAdded event: the decisions never need it.
 *
 * The table is mutated in place by `evolve` (a copy per event would make a 1,000,000-item replay
 * quadratic): a state is a value only until it is evolved again.
 */
export interface ItemTable {
  size: number;
  ids: ItemIds;
  status: Uint8Array;
  attempt: Uint32Array;
  pending: number;
  completed: number;
  failed: number;
}

export function emptyTable(capacity = 0): ItemTable {
  return {
    size: 0,
    ids: new ItemIds(),
    status: new Uint8Array(capacity),
    attempt: new Uint32Array(capacity),
    pending: 0,
    completed: 0,
    failed: 0,
  };
}

function ensureCapacity(table: ItemTable, needed: number): void {
  if (table.status.length >= needed) return;
  const capacity = Math.max(needed, table.status.length * 2, 1024);
  const status = new Uint8Array(capacity);
  status.set(table.status.subarray(0, table.size));
  const attempt = new Uint32Array(capacity);
  attempt.set(table.attempt.subarray(0, table.size));
  table.status = status;
  table.attempt = attempt;
}

export const indexOf = (table: ItemTable, itemId: string): number | undefined => table.ids.positionOf(itemId);

/** Adds items as pending on their first attempt; an id already present is left as it is. */
export function addItems(table: ItemTable, items: readonly { id: string }[]): void {
  ensureCapacity(table, table.size + items.length);
  for (const item of items) {
    if (!table.ids.add(item.id)) continue;
    const index = table.size++;
    table.status[index] = ItemCode.pending;
    table.attempt[index] = 1;
    table.pending++;
  }
}

function move(table: ItemTable, index: number, to: ItemCode): void {
  const from = table.status[index] as ItemCode;
  table[STATUS_OF[from]!]--;
  table[STATUS_OF[to]!]++;
  table.status[index] = to;
}

/**
 * Records an outcome. Only a pending item in the outcome's attempt changes: a second outcome for an
 * item already settled in that attempt, or one from an earlier attempt, changes nothing. Answers
 * whether the item moved.
 */
export function settleItem(
  table: ItemTable,
  itemId: string,
  attempt: number,
  outcome: 'completed' | 'failed',
): boolean {
  const index = indexOf(table, itemId);
  if (index === undefined || table.status[index] !== ItemCode.pending || table.attempt[index] !== attempt)
    return false;
  move(table, index, ItemCode[outcome]);
  return true;
}

/** Puts failed items back to pending for their next attempt. */
export function requeueItems(table: ItemTable, itemIds: readonly string[]): void {
  for (const itemId of itemIds) {
    const index = indexOf(table, itemId);
    if (index === undefined || table.status[index] !== ItemCode.failed) continue;
    move(table, index, ItemCode.pending);
    table.attempt[index]!++;
  }
}

export const statusAt = (table: ItemTable, index: number): ItemStatus => STATUS_OF[table.status[index]!]!;

/** Ids of the items in one status, in the order they were added. */
export function* idsWithStatus(table: ItemTable, status: ItemStatus): Generator<string> {
  const code = ItemCode[status];
  for (let index = 0; index < table.size; index++)
    if (table.status[index] === code) yield table.ids.at(index)!;
}
