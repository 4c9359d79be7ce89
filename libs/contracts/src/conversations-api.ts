import { z } from 'zod';
import { BatchId } from './ids.js';

/**
 * The public REST API's conversation routes (`/api/v1/conversations`): the generated conversations
 * of the user, a page at a time, and one with its turns. Paging follows the batch list's
 * conventions: an opaque `cursor`, `limit` up to 1,000 (100 when left out), `next_cursor` null on
 * the last page.
 */

/** Conversation ids are the worker's UUIDs; anything longer or empty names no conversation. */
export const ConversationId = z.string().min(1).max(200);
export type ConversationId = z.infer<typeof ConversationId>;

export const ListConversationsQuery = z.object({
  batchId: BatchId.optional().describe("only this batch's conversations"),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().positive().max(1000).optional(),
});
export type ListConversationsQuery = z.input<typeof ListConversationsQuery>;

export const ConversationSummary = z.object({
  id: z.string(),
  batch_id: z.string(),
  item_id: z.string(),
  persona: z.string(),
  created_at: z.string(),
  turn_count: z.number().int(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const ConversationList = z.object({
  conversations: z.array(ConversationSummary),
  next_cursor: z.string().nullable().describe('pass it back as `cursor` for the next page; null on the last'),
});
export type ConversationList = z.infer<typeof ConversationList>;

export const ConversationTurn = z.object({
  id: z.string(),
  role: z.string(),
  content: z.string(),
  sequence: z.number().int(),
});
export type ConversationTurn = z.infer<typeof ConversationTurn>;

export const ConversationDetail = z.object({
  id: z.string(),
  batch_id: z.string(),
  item_id: z.string(),
  topic: z.string(),
  persona: z.string(),
  content: z.string(),
  created_at: z.string(),
  turns: z.array(ConversationTurn).describe('in `sequence` order'),
});
export type ConversationDetail = z.infer<typeof ConversationDetail>;
