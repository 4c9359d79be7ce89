import type { BatchConfig } from '@batch/contracts';
import { emptyTable, type ItemTable } from './item-table.js';

/** The lifecycle of a batch. `discarded` batches are gone for every query and command. */
export type BatchLifecycle =
  'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'discarded';

export interface EmptyBatch {
  status: 'empty';
}

/** What the calls that completed items cost: their tokens, and the estimate of their price. */
export interface BatchUsage {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export const noUsage = (): BatchUsage => ({ promptTokens: 0, completionTokens: 0, costUsd: 0 });

export interface Batch {
  status: BatchLifecycle;
  batchId: string;
  userId: string;
  name: string;
  config: BatchConfig;
  /** Items announced at creation; the batch cannot start before they have all been added. */
  declaredItems: number;
  items: ItemTable;
  /** Added in place as items complete, like the item table (the outcomes that settle an item count once). */
  usage: BatchUsage;
  createdAt: string;
  startedAt?: string;
  pausedAt?: string;
  pauseReason?: string;
  /** When the batch completed, failed or was cancelled. */
  endedAt?: string;
  failureReason?: string;
}

export type BatchState = EmptyBatch | Batch;

export const initialState = (): BatchState => ({ status: 'empty' });

export const exists = (state: BatchState): state is Batch =>
  state.status !== 'empty' && state.status !== 'discarded';

export function newBatch(fields: Omit<Batch, 'status' | 'items' | 'usage'>): Batch {
  return { status: 'pending', items: emptyTable(), usage: noUsage(), ...fields };
}
