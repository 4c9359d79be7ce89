import type { BatchConfig, ConfigOverrides, ItemSpec } from '@batch/contracts';

/** Who and when: time and ids come in with the command, never from inside the domain. */
export interface CommandMetadata {
  now: string;
  newEventId: () => string;
  /** The user asking; another user's batch does not exist for them. System commands leave it out. */
  requestedBy?: string;
}

type Command<T extends string, D = Record<string, never>> = { type: T; data: D; metadata: CommandMetadata };

export type CreateBatch = Command<
  'CreateBatch',
  {
    batchId: string;
    userId: string;
    name: string;
    config: BatchConfig;
    items: ItemSpec[];
    /** When more items follow in AddItems commands: the number the batch will hold. */
    totalItems?: number;
    autoStart: boolean;
  }
>;
export type AddItems = Command<'AddItems', { items: ItemSpec[] }>;
export type StartBatch = Command<'StartBatch'>;
export type PauseBatch = Command<'PauseBatch', { reason: string }>;
export type ResumeBatch = Command<'ResumeBatch', { configOverrides?: ConfigOverrides }>;
export type CancelBatch = Command<'CancelBatch'>;
export type RetryFailedItems = Command<'RetryFailedItems'>;
/** Sent by the orchestrator when nothing is left pending. */
export type CompleteBatch = Command<'CompleteBatch'>;
/** Sent by the orchestrator when a running batch's estimated spend has reached its `maxCostUsd`. */
export type EnforceBudget = Command<'EnforceBudget'>;
export type DiscardBatch = Command<'DiscardBatch'>;

export type BatchCommand =
  | CreateBatch
  | AddItems
  | StartBatch
  | PauseBatch
  | ResumeBatch
  | CancelBatch
  | RetryFailedItems
  | CompleteBatch
  | EnforceBudget
  | DiscardBatch;
