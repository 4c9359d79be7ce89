import { z } from 'zod';
import { BatchConfig, ConfigOverrides } from './batch-config.js';
import { ItemList } from './items.js';
import { BatchStatus, ItemStatus, type BatchView, type ItemView } from './orchestrator-api.js';

/**
 * The public REST API's request bodies, queries and answers (ARCHITECTURE.md "Public REST API").
 * The gateway validates with these, the OpenAPI document is generated from them, the client types
 * its calls with them.
 */

/** One create request takes at most this many items; larger batches add the rest in chunks. */
export const MAX_ITEMS_PER_REQUEST = 100_000;

const itemsOfOneRequest = ItemList.check(
  z.maxLength(MAX_ITEMS_PER_REQUEST, `at most ${MAX_ITEMS_PER_REQUEST} items per request`),
);

export const CreateBatchBody = z.object({
  name: z.string().max(200).optional(),
  items: itemsOfOneRequest,
  config: BatchConfig.optional(),
  /** false: the batch waits for `POST /batches/:id/items` chunks and `POST /batches/:id/start`. */
  autoStart: z.boolean().default(true),
});
export type CreateBatchBody = z.input<typeof CreateBatchBody>;

export const AddItemsBody = z.object({ items: itemsOfOneRequest.check(z.minLength(1)) });
export type AddItemsBody = z.input<typeof AddItemsBody>;

export const ResumeBody = z.object({ configOverrides: ConfigOverrides.optional() });
export type ResumeBody = z.input<typeof ResumeBody>;

export const CleanupBody = z.object({ days_old: z.number().int().nonnegative() });
export type CleanupBody = z.input<typeof CleanupBody>;

const limit = z.coerce.number().int().positive().max(1000).optional();
const cursor = z.string().min(1).max(200).optional();

export const ListBatchesQuery = z.object({ status: BatchStatus.optional(), cursor, limit });
export type ListBatchesQuery = z.input<typeof ListBatchesQuery>;

export const ListItemsQuery = z.object({ status: ItemStatus.optional(), cursor, limit });
export type ListItemsQuery = z.input<typeof ListItemsQuery>;

export interface BatchList {
  batches: BatchView[];
  /** Pass it back as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

export interface ItemPage {
  items: ItemView[];
  next_cursor: string | null;
}

export interface RecoverResult {
  recovered_count: number;
  failed_count: number;
}

export interface CleanupResult {
  cleaned_count: number;
  days_old: number;
}

/** One line of `GET /batches/:id/results` (JSONL): a completed item and its conversation. */
export interface ResultLine {
  item_id: string;
  conversation_id: string;
  topic: string;
  persona: string;
  turns: { role: string; content: string }[];
  created_at: string;
}

/** Every error the API answers: `{error: {code, message, details?}}`. */
export const ApiErrorCode = z.enum([
  'bad_request',
  'unauthorized',
  'not_found',
  'conflict',
  'payload_too_large',
  'validation',
  'rate_limited',
  'unavailable',
  'internal',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details?: unknown };
}

/** Seed 002's ids: numbers or strings, as its Python and JavaScript examples send them. */
const SeedIds = z.array(z.union([z.string().min(1).max(200), z.number().int()])).min(1);

/** `POST /batch/start` of seed 002: `photo_ids` (or `item_ids`), optional `session_id` and `config`. */
export const SeedStartBody = z
  .object({
    photo_ids: SeedIds.optional(),
    item_ids: SeedIds.optional(),
    session_id: z
      .union([z.string().max(200), z.number()])
      .nullable()
      .optional(),
    config: BatchConfig.nullable().optional(),
  })
  .refine((body) => body.photo_ids !== undefined || body.item_ids !== undefined, {
    message: 'photo_ids or item_ids is required',
    path: ['photo_ids'],
  });
export type SeedStartBody = z.input<typeof SeedStartBody>;

export const SeedCleanupBody = CleanupBody;

/** `GET /batch/:id/status` of seed 002. */
export interface SeedBatchStatus {
  batch_id: string;
  session_id: string | number | null;
  status: BatchView['status'];
  total_photos: number;
  processed_count: number;
  failed_count: number;
  progress_percent: number;
  created_at: string;
  started_at: string | null;
  paused_at: string | null;
  completed_at: string | null;
}
