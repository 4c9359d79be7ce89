import { z } from 'zod';
import { BatchConfig, ConfigOverrides } from './batch-config.js';
import { ErrorShape } from './errors.js';
import { BatchId, ItemId, UserId } from './ids.js';
import { ItemSpec } from './items.js';

export const SCHEMA_VERSION = 1;

/** Fields every event carries, whatever its type. */
const envelope = {
  eventId: z.string().min(1).max(100),
  batchId: BatchId,
  occurredAt: z.iso.datetime({ offset: true }),
  schemaVersion: z.literal(SCHEMA_VERSION),
};

function eventSchema<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({ ...envelope, type: z.literal(type), data });
}

const Empty = z.object({});

export const BatchCreated = eventSchema(
  'BatchCreated',
  z.object({
    batchId: BatchId,
    userId: UserId,
    name: z.string().max(200),
    config: BatchConfig,
    totalItems: z.number().int().nonnegative(),
  }),
);
export const ItemsAdded = eventSchema('ItemsAdded', z.object({ items: z.array(ItemSpec) }));
export const BatchStarted = eventSchema('BatchStarted', Empty);
/** Tokens a provider counted for one call. */
export const TokenUsage = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

export const ItemCompleted = eventSchema(
  'ItemCompleted',
  z.object({
    itemId: ItemId,
    conversationId: z.string().min(1).max(100),
    attempt: z.number().int().positive(),
    /** From the item's start to its reply, retries and waits included. */
    durationMs: z.number().nonnegative(),
    /** The provider call that answered: how long it took, which model answered, the tokens it counted. */
    latencyMs: z.number().nonnegative().optional(),
    model: z.string().max(200).optional(),
    usage: TokenUsage.optional(),
    /** The call's estimated cost in US dollars, from the model's price; absent for a model without one. */
    costUsd: z.number().nonnegative().optional(),
  }),
);
export const ItemFailed = eventSchema(
  'ItemFailed',
  z.object({ itemId: ItemId, attempt: z.number().int().positive(), error: ErrorShape }),
);
export const BatchPaused = eventSchema('BatchPaused', z.object({ reason: z.string().max(500) }));
export const BatchResumed = eventSchema(
  'BatchResumed',
  z.object({ configOverrides: ConfigOverrides.optional() }),
);
export const BatchCancelled = eventSchema('BatchCancelled', Empty);
export const FailedItemsRequeued = eventSchema('FailedItemsRequeued', z.object({ itemIds: z.array(ItemId) }));
export const BatchCompleted = eventSchema('BatchCompleted', Empty);
export const BatchFailed = eventSchema('BatchFailed', z.object({ reason: z.string().max(2000) }));
export const BatchDiscarded = eventSchema('BatchDiscarded', Empty);

export const BatchEvent = z.discriminatedUnion('type', [
  BatchCreated,
  ItemsAdded,
  BatchStarted,
  ItemCompleted,
  ItemFailed,
  BatchPaused,
  BatchResumed,
  BatchCancelled,
  FailedItemsRequeued,
  BatchCompleted,
  BatchFailed,
  BatchDiscarded,
]);
export type BatchEvent = z.infer<typeof BatchEvent>;
export type BatchEventType = BatchEvent['type'];
export type EventOf<T extends BatchEventType> = Extract<BatchEvent, { type: T }>;

/**
 * An item outcome, and the one rule by which every reader of the log applies item events, so that
 * the state `evolve` folds and the read models agree on any log. Outcomes are facts reported at
 * least once: a worker may report one twice, report both a completion and a failure for one
 * attempt, or report an attempt after its item was requeued, and a commit may be stored twice.
 *
 * 1. An item joins its batch once, pending in attempt 1; an added id already in the batch is ignored.
 * 2. An outcome settles an item only while the item is pending in the outcome's attempt, so the
 *    first outcome of an attempt in log order wins. Any other outcome changes nothing: a repeat, the
 *    second outcome of an attempt, one of an earlier or a later attempt, one for an unknown item.
 * 3. `FailedItemsRequeued` puts only failed items back to pending, in their next attempt; outcomes
 *    of the attempts before are stale from then on.
 *
 * Counts (completed, failed, pending) move only when an item's status does. The domain implements
 * the rule in libs/batch-domain/src/item-table.ts (`addItems`, `settleItem`, `requeueItems`, which
 * `evolve` calls); the batch projection mirrors it in SQL in libs/persistence/src/projection, in
 * item-events.statements.ts (1, 2) and lifecycle-events.statements.ts (3). The property test
 * batch.projector.properties.int.spec.ts, next to them, checks that both sides agree on random logs.
 */
export type ItemOutcome = EventOf<'ItemCompleted'> | EventOf<'ItemFailed'>;

/** The subject an event is appended to: lifecycle decisions, or the flood of item facts. */
export type EventStream = 'lifecycle' | 'items';

const ITEM_EVENTS: ReadonlySet<BatchEventType> = new Set(['ItemsAdded', 'ItemCompleted', 'ItemFailed']);

export const streamOf = (event: BatchEvent): EventStream =>
  ITEM_EVENTS.has(event.type) ? 'items' : 'lifecycle';

export const isItemOutcome = (event: BatchEvent): event is ItemOutcome =>
  event.type === 'ItemCompleted' || event.type === 'ItemFailed';

/** The idempotency key of an outcome: one per item, attempt and kind of outcome. */
export const outcomeKey = (event: ItemOutcome): string =>
  `${event.batchId}/${event.data.itemId}/${event.data.attempt}/${event.type === 'ItemCompleted' ? 'completed' : 'failed'}`;
