import { z } from 'zod';
import { BatchConfig, ConfigOverrides } from './batch-config.js';
import { CommandError, ErrorShape } from './errors.js';
import { BatchId, UserId } from './ids.js';
import { ItemList } from './items.js';

/** Batch statuses as the public API shows them. */
export const BatchStatus = z.enum(['pending', 'running', 'paused', 'completed', 'failed', 'cancelled']);
export type BatchStatus = z.infer<typeof BatchStatus>;

export const ItemStatus = z.enum(['pending', 'completed', 'failed']);
export type ItemStatus = z.infer<typeof ItemStatus>;

const timestamp = z.iso.datetime({ offset: true });

/** A batch as the public API shows it (snake_case, as the seeds' clients read it). */
export const BatchView = z.object({
  batch_id: z.string(),
  name: z.string(),
  status: BatchStatus,
  total_items: z.number().int(),
  processed_count: z.number().int(),
  failed_count: z.number().int(),
  pending_count: z.number().int(),
  progress_percent: z.number().describe('settled (completed + failed) share of the items, 0-100'),
  config: BatchConfig,
  created_at: timestamp,
  started_at: timestamp.nullable(),
  paused_at: timestamp.nullable(),
  pause_reason: z
    .string()
    .nullable()
    .describe(
      'why a paused batch was paused: by its user, or by the platform (a dispatch that kept failing)',
    ),
  completed_at: timestamp.nullable(),
  prompt_tokens: z.number().int().describe('tokens the provider read, over the calls that completed items'),
  completion_tokens: z
    .number()
    .int()
    .describe('tokens the provider wrote, over the calls that completed items'),
  cost_usd: z
    .number()
    .describe(
      "estimated cost in US dollars of the calls that completed items, from the models' prices (0 without prices)",
    ),
  last_checkpoint_at: timestamp
    .nullable()
    .describe('when the last event of the batch happened; null before the read model holds it'),
});
export type BatchView = z.infer<typeof BatchView>;

/** An item of a batch as the public API shows it. */
export const ItemView = z.object({
  item_id: z.string(),
  position: z.number().int(),
  topic: z.string(),
  parameters: z.record(z.string(), z.unknown()).nullable(),
  status: ItemStatus,
  attempt: z.number().int(),
  conversation_id: z.string().nullable(),
  error: ErrorShape.nullable(),
});
export type ItemView = z.infer<typeof ItemView>;

export interface Page<T> {
  items: T[];
  /** Pass it back for the next page; null on the last one. */
  next_cursor: string | null;
}

const owned = { userId: UserId, batchId: BatchId };

/** Cleanup looks back at most a century: further back is no date a batch can have ended on. */
export const MAX_DAYS_OLD = 36_500;
export const DaysOld = z.number().int().nonnegative().max(MAX_DAYS_OLD);

/** Requests the orchestrator answers over NATS request/reply, by subject name (`batch.cmd.<name>`). */
export const OrchestratorCommands = {
  create: z.object({
    userId: UserId,
    batchId: BatchId.optional(),
    name: z.string().max(200).default(''),
    items: ItemList,
    /** Items that follow in `add-items` requests (large batches); the batch starts when all have arrived. */
    totalItems: z.number().int().nonnegative().optional(),
    config: BatchConfig.default({ provider: 'template' }),
    autoStart: z.boolean().default(true),
  }),
  'add-items': z.object({ ...owned, items: ItemList }),
  start: z.object(owned),
  pause: z.object({ ...owned, reason: z.string().max(500).default('paused by user') }),
  resume: z.object({ ...owned, configOverrides: ConfigOverrides.optional() }),
  cancel: z.object(owned),
  'retry-failed': z.object(owned),
  discard: z.object(owned),
  recover: z.object({ userId: UserId.optional() }),
  cleanup: z.object({ userId: UserId.optional(), daysOld: DaysOld }),
} as const;
export type OrchestratorCommandName = keyof typeof OrchestratorCommands;
export type OrchestratorCommand<N extends OrchestratorCommandName> = z.infer<
  (typeof OrchestratorCommands)[N]
>;

const page = {
  cursor: z.string().max(200).optional(),
  limit: z.number().int().positive().max(1000).default(100),
};

/** Queries, by subject name (`batch.query.<name>`). */
export const OrchestratorQueries = {
  get: z.object(owned),
  list: z.object({ userId: UserId, status: BatchStatus.optional(), ...page }),
  incomplete: z.object({ userId: UserId }),
  items: z.object({ ...owned, status: ItemStatus.optional(), ...page }),
} as const;
export type OrchestratorQueryName = keyof typeof OrchestratorQueries;
export type OrchestratorQuery<N extends OrchestratorQueryName> = z.infer<(typeof OrchestratorQueries)[N]>;

/** Every reply: a result, or a typed refusal. */
export const Reply = <R extends z.ZodType>(result: R) =>
  z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), result }),
    z.object({ ok: z.literal(false), error: CommandError }),
  ]);
export type Reply<R> = { ok: true; result: R } | { ok: false; error: CommandError };
