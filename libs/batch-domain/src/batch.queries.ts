import type { Batch, BatchState } from './batch.state.js';
import { ItemCode, indexOf, statusAt } from './item-table.js';
import { BUDGET_EXHAUSTED, formatUsd, type BatchConfig, type ItemStatus } from '@batch/contracts';

export interface Progress {
  total: number;
  completed: number;
  failed: number;
  pending: number;
  /** Settled share of all items, 0-100 with one decimal. */
  percent: number;
}

export function progressOf(state: BatchState): Progress {
  if (state.status === 'empty') return { total: 0, completed: 0, failed: 0, pending: 0, percent: 0 };
  const { size, completed, failed, pending } = state.items;
  const percent = size === 0 ? 0 : Math.floor(((completed + failed) / size) * 1000) / 10;
  return { total: size, completed, failed, pending, percent };
}

/** One item to work on: its id, its position in the batch, and the attempt its outcome must name. */
export interface WorkItem {
  id: string;
  index: number;
  attempt: number;
}

export interface DispatchPlan {
  items: WorkItem[];
  /** Where the next scan starts: items before it were pending-and-queued or settled at this scan. */
  cursor: number;
}

/**
 * The next pending items to hand to workers: only while running, never an item in flight, never a
 * settled one. Scans from `cursor` (a position in the batch) and wraps around once.
 */
export function planDispatch(
  state: BatchState,
  options: { inFlight: { has(itemId: string): boolean }; limit: number; cursor?: number },
): DispatchPlan {
  const start = options.cursor ?? 0;
  if (state.status !== 'running' || options.limit <= 0) return { items: [], cursor: start };
  const table = state.items;
  const items: WorkItem[] = [];
  for (let step = 0; step < table.size && items.length < options.limit; step++) {
    const index = (start + step) % table.size;
    if (table.status[index] !== ItemCode.pending) continue;
    const id = table.ids.at(index)!;
    if (options.inFlight.has(id)) continue;
    items.push({ id, index, attempt: table.attempt[index]! });
    if (items.length === options.limit) return { items, cursor: (index + 1) % table.size };
  }
  return { items, cursor: start };
}

/** Where one item stands: its status and the attempt it is in; undefined for an unknown item. */
export function itemState(
  state: BatchState,
  itemId: string,
): { status: ItemStatus; attempt: number } | undefined {
  if (state.status === 'empty') return undefined;
  const index = indexOf(state.items, itemId);
  return index === undefined
    ? undefined
    : { status: statusAt(state.items, index), attempt: state.items.attempt[index]! };
}

/** A budget the batch's estimated spend has reached. */
export interface SpentBudget {
  spentUsd: number;
  maxCostUsd: number;
}

/**
 * The batch's budget when its spend has reached it with items still to do (under `config`, the
 * batch's own or the one a resume would give it); undefined within budget, without one, or when
 * nothing is left to spend on.
 */
export function spentBudget(batch: Batch, config: BatchConfig = batch.config): SpentBudget | undefined {
  const { maxCostUsd } = config;
  if (maxCostUsd === undefined || batch.items.pending === 0) return undefined;
  const spentUsd = batch.usage.costUsd;
  return spentUsd >= maxCostUsd ? { spentUsd, maxCostUsd } : undefined;
}

/** `budget_exhausted: spent $0.0123 of $0.01`: why a batch paused at its budget. */
export const budgetExhaustedReason = ({ spentUsd, maxCostUsd }: SpentBudget): string =>
  `${BUDGET_EXHAUSTED}: spent ${formatUsd(spentUsd)} of ${formatUsd(maxCostUsd)}`;
