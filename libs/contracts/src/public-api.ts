import { z } from 'zod';
import { BatchConfig, ConfigOverrides } from './batch-config.js';
import { ItemList } from './items.js';
import { BatchStatus, BatchView, DaysOld, ItemStatus, ItemView } from './orchestrator-api.js';

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

export const CleanupBody = z.object({ days_old: DaysOld });
export type CleanupBody = z.input<typeof CleanupBody>;

const limit = z.coerce.number().int().positive().max(1000).optional();
const cursor = z.string().min(1).max(200).optional();

export const ListBatchesQuery = z.object({ status: BatchStatus.optional(), cursor, limit });
export type ListBatchesQuery = z.input<typeof ListBatchesQuery>;

export const ListItemsQuery = z.object({ status: ItemStatus.optional(), cursor, limit });
export type ListItemsQuery = z.input<typeof ListItemsQuery>;

export const BatchList = z.object({
  batches: z.array(BatchView),
  next_cursor: z.string().nullable().describe('pass it back as `cursor` for the next page; null on the last'),
});
export type BatchList = z.infer<typeof BatchList>;

export const ItemPage = z.object({ items: z.array(ItemView), next_cursor: z.string().nullable() });
export type ItemPage = z.infer<typeof ItemPage>;

export const RecoverResult = z.object({ recovered_count: z.number().int(), failed_count: z.number().int() });
export type RecoverResult = z.infer<typeof RecoverResult>;

export const CleanupResult = z.object({ cleaned_count: z.number().int(), days_old: z.number().int() });
export type CleanupResult = z.infer<typeof CleanupResult>;

/** One line of `GET /batches/:id/results` (JSONL): a completed item and its conversation. */
export const ResultLine = z.object({
  item_id: z.string(),
  conversation_id: z.string(),
  topic: z.string(),
  persona: z.string(),
  turns: z.array(z.object({ role: z.string(), content: z.string() })),
  created_at: z.string(),
});
export type ResultLine = z.infer<typeof ResultLine>;

/**
 * The formats of `GET /batches/:id/results`: our JSONL (ResultLine), OpenAI's chat fine-tuning
 * JSONL (`{messages}`), ShareGPT (`{conversations: [{from, value}]}`, as Axolotl and LLaMA-Factory
 * read it) and Parquet.
 */
export const EXPORT_FORMATS = ['jsonl', 'openai', 'sharegpt', 'parquet'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** Whether the formats that hold conversations only (fine-tuning sets) can list unfinished items. */
const HOLDS_UNFINISHED_ITEMS: Record<ExportFormat, boolean> = {
  jsonl: true,
  parquet: true,
  openai: false,
  sharegpt: false,
};

/** `completed`: the conversations; `all`: every item, with its status and error. */
export const ExportScope = z.enum(['completed', 'all']);
export type ExportScope = z.infer<typeof ExportScope>;

export const ResultsQuery = z
  .object({
    format: ExportFormat.default('jsonl'),
    only: ExportScope.default('completed'),
    /** Adds the item's parameters, tokens and finish reason to each conversation. */
    include_metadata: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
  })
  .superRefine(({ format, only }, ctx) => {
    if (only === 'all' && !HOLDS_UNFINISHED_ITEMS[format])
      ctx.addIssue({
        code: 'custom',
        path: ['only'],
        message: `only=all needs format jsonl or parquet: the ${format} format holds conversations only`,
      });
  });
export type ResultsQuery = z.infer<typeof ResultsQuery>;

/** Every error the API answers: `{error: {code, message, details?}}`. */
export const ApiErrorCode = z.enum([
  'bad_request',
  'unauthorized',
  'not_found',
  'conflict',
  'gone',
  'length_required',
  'payload_too_large',
  'unsupported_media_type',
  'headers_too_large',
  'validation',
  'rate_limited',
  'unavailable',
  'internal',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

export const ApiErrorBody = z.object({
  error: z.object({ code: ApiErrorCode, message: z.string(), details: z.unknown().optional() }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

const SeedSessionId = z.union([z.string().max(200), z.number()]).nullable();

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

/** `POST /batch/cleanup` of seed 002: `days_old` as its example sends it (7 when left out). */
export const SeedCleanupBody = z.object({ days_old: DaysOld.default(7) });

export const SeedStartResult = z.object({
  message: z.string(),
  batch_id: z.string(),
  photo_count: z.number().int(),
});
export type SeedStartResult = z.infer<typeof SeedStartResult>;

export const SeedCommandResult = z.object({ message: z.string(), batch_id: z.string() });
export type SeedCommandResult = z.infer<typeof SeedCommandResult>;

/** `GET /batch/:id/status` of seed 002. */
export const SeedBatchStatus = z.object({
  batch_id: z.string(),
  session_id: SeedSessionId,
  status: BatchStatus,
  total_photos: z.number().int(),
  processed_count: z.number().int(),
  failed_count: z.number().int(),
  progress_percent: z.number(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  paused_at: z.string().nullable(),
  completed_at: z.string().nullable(),
});
export type SeedBatchStatus = z.infer<typeof SeedBatchStatus>;

export const SeedBatchList = z.object({ batches: z.array(SeedBatchStatus), count: z.number().int() });
export type SeedBatchList = z.infer<typeof SeedBatchList>;

export const SeedRecoverResult = z.object({
  message: z.string(),
  recovered_count: z.number().int(),
  failed_count: z.number().int(),
  timestamp: z.string(),
});
export type SeedRecoverResult = z.infer<typeof SeedRecoverResult>;

export const SeedCleanupResult = z.object({
  message: z.string(),
  cleaned_count: z.number().int(),
  days_old: z.number().int(),
});
export type SeedCleanupResult = z.infer<typeof SeedCleanupResult>;
