import { z } from 'zod';
import { ErrorShape } from './errors.js';
import { BatchId, ItemId } from './ids.js';

/** Where a failure happened, for its error details: the item, its attempt, the provider and model called. */
export const FactContext = z.object({
  itemId: ItemId.optional(),
  attempt: z.number().int().positive().optional(),
  provider: z.string().max(100).optional(),
  model: z.string().max(200).optional(),
});
export type FactContext = z.infer<typeof FactContext>;

const about = {
  batchId: BatchId,
  userId: z.string().min(1),
  at: z.iso.datetime(),
};

const factOf = <T extends string, D extends z.ZodRawShape>(type: T, data: D) =>
  z.object({
    type: z.literal(type),
    ...about,
    error: ErrorShape,
    context: FactContext.optional(),
    ...data,
  });

/**
 * A batch's counts as its read model holds them after a projection commit, a few times a second at
 * most per batch (the orchestrator coalesces), and once more after its last change. `version` is the
 * projection's position (BATCH_EVENTS sequence) the counts were read at: a fact with a lower version
 * than one already seen is older news.
 */
export const BatchProgressFact = z.object({
  type: z.literal('progress'),
  ...about,
  version: z.number().int().nonnegative(),
  status: z.string(),
  pauseReason: z.string().nullable(),
  totalItems: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
});
export type BatchProgressFact = z.infer<typeof BatchProgressFact>;

/**
 * What happens to a batch that is not an event of its log but that its user should hear of at
 * once (the notifications turn these into messages): its progress; the provider is rate limiting
 * its calls and they wait `retryAfterSeconds`; the batch paused until the user acts (a refused key,
 * an empty balance, an unknown model, a spent budget); items failed (one fact per batch and error
 * code per projection commit, with how many and the first of them).
 */
export const BatchFact = z.discriminatedUnion('type', [
  BatchProgressFact,
  factOf('rate_limited', { retryAfterSeconds: z.number().nonnegative() }),
  factOf('action_required', { reason: z.string().max(500) }),
  factOf('items_failed', { count: z.number().int().positive() }),
]);
export type BatchFact = z.infer<typeof BatchFact>;
