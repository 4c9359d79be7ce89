import { z } from 'zod';

/** At most this many personas are listed, the most frequent first. */
export const MAX_LISTED_PERSONAS = 50;

/** Finish reasons of a reply cut at the token limit (OpenAI's, Anthropic's). */
export const TRUNCATED_FINISH_REASONS = ['length', 'max_tokens'] as const;

const count = z.number().int().nonnegative();

/**
 * `GET /api/v1/batches/:id/stats`: what the batch's dataset holds so far (its stored conversations
 * and settled items; a running batch gives what is done). Characters are Unicode code points.
 */
export const BatchStats = z.object({
  batch_id: z.string(),
  conversations: count,
  turns: z.object({
    total: count,
    per_conversation: z
      .object({
        min: count.nullable(),
        mean: z.number().nonnegative().nullable().describe('rounded to 2 decimals'),
        max: count.nullable(),
      })
      .describe('null while the batch has no conversations'),
  }),
  characters: z
    .object({ total: count, user: count, assistant: count, system: count })
    .describe('`total` counts every role, so it is at least the sum of the three'),
  tokens: z
    .object({
      prompt: count,
      completion: count,
      conversations_with_usage: count.describe('the conversations the provider reported tokens for'),
    })
    .describe('sums over the conversations that carry usage (0 when none does)'),
  personas: z
    .array(z.object({ persona: z.string(), count }))
    .max(MAX_LISTED_PERSONAS)
    .describe(`the ${MAX_LISTED_PERSONAS} most frequent, by count then persona`),
  duplicates: z.object({
    assistant_replies: count.describe(
      'assistant turns repeating a reply seen before: copies beyond the first',
    ),
    distinct_duplicated: count.describe('distinct assistant replies that occur more than once'),
  }),
  empty_replies: count.describe('assistant turns that are empty or only whitespace'),
  truncated: count.describe(
    `conversations whose reply ended at the token limit (finish reason ${TRUNCATED_FINISH_REASONS.join(' or ')}) plus items failed as ERR_GEN_TRUNCATED`,
  ),
  failures: z.object({
    total: count,
    by_code: z
      .array(z.object({ code: z.string(), count }))
      .describe('the failed items by error code, most frequent first'),
  }),
});
export type BatchStats = z.infer<typeof BatchStats>;
