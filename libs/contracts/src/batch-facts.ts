import { z } from 'zod';
import { ErrorShape } from './errors.js';
import { BatchId } from './ids.js';

const factOf = <T extends string, D extends z.ZodRawShape>(type: T, data: D) =>
  z.object({
    type: z.literal(type),
    batchId: BatchId,
    userId: z.string().min(1),
    at: z.iso.datetime(),
    error: ErrorShape,
    ...data,
  });

/**
 * What happens to a batch that is not an event of its log but that its user should hear of at
 * once (the notifications turn these into messages): the provider is rate limiting its calls and
 * they wait `retryAfterSeconds`; or the batch paused until the user acts (a refused key, an empty
 * balance, an unknown model, a spent budget).
 */
export const BatchFact = z.discriminatedUnion('type', [
  factOf('rate_limited', { retryAfterSeconds: z.number().nonnegative() }),
  factOf('action_required', { reason: z.string().max(500) }),
]);
export type BatchFact = z.infer<typeof BatchFact>;
