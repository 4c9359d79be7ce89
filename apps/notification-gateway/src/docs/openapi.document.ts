import { z } from 'zod';
import {
  AddItemsBody,
  ApiErrorBody,
  BackupList,
  BackupView,
  BulkDeleteBody,
  BatchList,
  BatchStats,
  BatchView,
  CleanupBody,
  CleanupResult,
  ConversationDetail,
  CreateBackupBody,
  DownloadLink,
  ErrorDetailsView,
  ListBackupsQuery,
  OperationStarted,
  OperationView,
  RestoreProgress,
  RestoreQuery,
  RestoreResult,
  RestoreStarted,
  SeedProgressQuery,
  SeedBackupCreated,
  SeedCreateBackupBody,
  ConversationList,
  CreateBatchBody,
  ItemPage,
  ListBatchesQuery,
  ListConversationsQuery,
  ListItemsQuery,
  MAX_ITEMS_PER_REQUEST,
  RecoverResult,
  ResultLine,
  ResultsQuery,
  ResumeBody,
  SeedBatchList,
  SeedBatchStatus,
  SeedCleanupBody,
  SeedCleanupResult,
  SeedCommandResult,
  SeedRecoverResult,
  SeedStartBody,
  SeedStartResult,
  CreatedWebhook,
  CreateWebhookBody,
  ListWebhookDeliveriesQuery,
  WebhookDeliveryList,
  WebhookList,
  WebhookView,
} from '@batch/contracts';

type Schema = Record<string, unknown>;

const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): Schema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Schema;
  return rest;
};

const ERROR_TEXT: Record<number, string> = {
  400: 'malformed request (not JSON)',
  401: 'missing, invalid or expired token',
  404: 'no such resource for this user',
  409: 'not allowed in the current state',
  410: 'gone: the backup expired and was deleted',
  411: 'the upload needs a Content-Length',
  413: 'body over the size limit',
  415: 'a content type the route does not take',
  422: 'validation failed; details name each failing field',
  429: 'rate limited; see Retry-After',
  503: 'NATS, PostgreSQL or the batch service is unreachable',
};

interface Route {
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  ok: number;
  answer?: z.ZodType;
  /** The answer's media type when it is not one JSON document. */
  media?: string;
  /** The request body's media type when it is not JSON read whole (a streamed upload). */
  bodyMedia?: string;
  /** Text media types the body may also come in, beside JSON, each with what its text holds. */
  textBodies?: Record<string, string>;
  errors: number[];
  tag: string;
  public?: boolean;
}

const pathParameters = (path: string) =>
  [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
const common = [401, 429, 503];
const onBatch = [...common, 404];
const lifecycle = (summary: string, body?: z.ZodType): Route => ({
  summary,
  ...(body ? { body } : {}),
  ok: 200,
  answer: BatchView,
  errors: [...onBatch, 409, ...(body ? [400, 422] : [])],
  tag: 'batches',
});
const onBackup = [...common, 404];
/** Downloads take the bearer token, or the `ticket` of a download link instead. */
const download = (summary: string, media: string): Route => ({
  summary: `${summary}. Authorization: a bearer token, or ?ticket= from a download link`,
  query: z.object({ ticket: z.string().optional() }),
  ok: 200,
  media,
  errors: [...onBackup, 409, 410],
  tag: 'backups',
  public: true,
});
const seed = (summary: string, answer: z.ZodType, body?: z.ZodType): Route => ({
  summary,
  ...(body ? { body } : {}),
  ok: 200,
  answer,
  errors: [...common, ...(body ? [400, 422] : [404, 409])],
  tag: 'seed 002 (compatible routes)',
});

const ITEMS_CSV =
  'UTF-8 CSV with a header: a "topic" column, an optional "id", every other column a parameter (an empty cell is no parameter); quoted cells may hold commas and newlines';
const ITEMS_JSONL = 'UTF-8 JSON Lines: one {id?, topic, parameters?} a line; blank lines are skipped';

const ROUTES: Record<string, Record<string, Route>> = {
  '/api/v1/batches': {
    post: {
      summary: `Create a batch (up to ${MAX_ITEMS_PER_REQUEST} items; more through POST /api/v1/batches/{id}/items with autoStart: false, then start)`,
      body: CreateBatchBody,
      ok: 201,
      answer: BatchView,
      // 415: CSV or JSON Lines items go to POST /api/v1/batches/{id}/items.
      errors: [...common, 400, 413, 415, 422],
      tag: 'batches',
    },
    get: {
      summary: "The user's batches, newest first",
      query: ListBatchesQuery,
      ok: 200,
      answer: BatchList,
      errors: [...common, 422],
      tag: 'batches',
    },
  },
  '/api/v1/batches/incomplete': {
    get: {
      summary: 'Batches not ended (pending, running, paused)',
      ok: 200,
      answer: BatchList,
      errors: common,
      tag: 'batches',
    },
  },
  '/api/v1/batches/recover': {
    post: {
      summary: 'Dispatch again running batches whose dispatch stopped',
      ok: 200,
      answer: RecoverResult,
      errors: common,
      tag: 'batches',
    },
  },
  '/api/v1/batches/cleanup': {
    post: {
      summary: 'Remove batches that ended more than days_old days ago',
      body: CleanupBody,
      ok: 200,
      answer: CleanupResult,
      errors: [...common, 400, 422],
      tag: 'batches',
    },
  },
  '/api/v1/batches/{id}': {
    get: { summary: 'One batch', ok: 200, answer: BatchView, errors: onBatch, tag: 'batches' },
    delete: {
      summary: 'Discard a batch that is not running',
      ok: 204,
      errors: [...onBatch, 409],
      tag: 'batches',
    },
  },
  '/api/v1/batches/{id}/items': {
    get: {
      summary: 'Items by status, a page at a time (failed items carry their error)',
      query: ListItemsQuery,
      ok: 200,
      answer: ItemPage,
      errors: [...onBatch, 422],
      tag: 'batches',
    },
    post: {
      ...lifecycle(
        'Add items to a pending batch (chunks of a large batch): JSON {items}, or the items as CSV or JSON Lines by ' +
          "Content-Type, read by batchctl create's rules (an item without an id gets its line number; a bad line is a " +
          '422 naming it). With CSV and JSON Lines, create the batch with JSON {name, config, items: [], autoStart: false}, add ' +
          'its items here, then start it',
        AddItemsBody,
      ),
      textBodies: {
        'text/csv': ITEMS_CSV,
        'application/x-ndjson': ITEMS_JSONL,
        'application/jsonl': ITEMS_JSONL,
      },
      errors: [...onBatch, 409, 400, 413, 415, 422],
    },
  },
  '/api/v1/batches/{id}/results': {
    get: {
      summary:
        'The results, streamed (also while running): our JSONL (each line a ResultLine), OpenAI chat ' +
        'fine-tuning JSONL, ShareGPT JSONL, or Parquet (application/vnd.apache.parquet)',
      query: ResultsQuery,
      ok: 200,
      answer: ResultLine,
      media: 'application/x-ndjson',
      errors: [...onBatch, 422],
      tag: 'batches',
    },
  },
  '/api/v1/batches/{id}/stats': {
    get: {
      summary:
        "Dataset statistics: conversations, turns, characters by role, tokens, personas, duplicate and empty replies, truncations, failures by code; computed by PostgreSQL over the batch's rows (also while running)",
      ok: 200,
      answer: BatchStats,
      errors: onBatch,
      tag: 'batches',
    },
  },
  '/api/v1/batches/{id}/start': { post: lifecycle('Start a batch created with autoStart: false') },
  '/api/v1/batches/{id}/pause': { post: lifecycle('Pause a running batch') },
  '/api/v1/batches/{id}/resume': {
    post: lifecycle('Resume a paused batch, optionally with config overrides', ResumeBody),
  },
  '/api/v1/batches/{id}/cancel': { post: lifecycle('Cancel a batch') },
  '/api/v1/batches/{id}/retry-failed': { post: lifecycle('Requeue the failed items') },
  '/api/v1/conversations': {
    get: {
      summary: "The user's generated conversations, newest first (optionally one batch's)",
      query: ListConversationsQuery,
      ok: 200,
      answer: ConversationList,
      errors: [...common, 422],
      tag: 'conversations',
    },
  },
  '/api/v1/conversations/{id}': {
    get: {
      summary: 'One conversation with its turns',
      ok: 200,
      answer: ConversationDetail,
      errors: [...common, 404],
      tag: 'conversations',
    },
  },
  '/api/v1/backups': {
    post: {
      summary: "Back up the named conversations, or a batch's; answers once the backup can be downloaded",
      body: CreateBackupBody,
      ok: 201,
      answer: BackupView,
      errors: [...common, 400, 422],
      tag: 'backups',
    },
    get: {
      summary: "The user's backups, newest first, with size, conversation count, expiry and status",
      query: ListBackupsQuery,
      ok: 200,
      answer: BackupList,
      errors: [...common, 422],
      tag: 'backups',
    },
  },
  '/api/v1/backups/{id}': {
    get: { summary: 'One backup', ok: 200, answer: BackupView, errors: onBackup, tag: 'backups' },
  },
  '/api/v1/backups/{id}/download': {
    get: {
      ...download('The backup as stored (gzip), its sha256 in X-Backup-Sha256', 'application/gzip'),
    },
  },
  '/api/v1/backups/{id}/download-link': {
    post: {
      summary: 'A link that downloads the backup once, without an Authorization header, for a few minutes',
      ok: 200,
      answer: DownloadLink,
      errors: [...onBackup, 409, 410],
      tag: 'backups',
    },
  },
  '/api/v1/backups/{id}/restore': {
    post: {
      summary:
        "Restore the backup's conversations as the user's (idempotent): 202 {progressId} at once, or 200 with the result (?wait=true)",
      query: RestoreQuery,
      ok: 202,
      answer: z.union([RestoreStarted, RestoreResult]),
      errors: [...onBackup, 409, 410, 422],
      tag: 'backups',
    },
  },
  '/api/v1/restores/{id}': {
    get: {
      summary: "A restore's progress (seed 003's shape), readable for RESTORE_PROGRESS_TTL_MS after its end",
      ok: 200,
      answer: z.object({ progress: RestoreProgress }),
      errors: onBackup,
      tag: 'backups',
    },
  },
  '/api/v1/conversations/bulk-delete': {
    post: {
      summary:
        "Delete conversations, after backing them up (a failed backup deletes nothing) and, by default, the user's confirmation",
      body: BulkDeleteBody,
      ok: 202,
      answer: OperationStarted,
      errors: [...common, 400, 422],
      tag: 'backups',
    },
  },
  '/api/v1/operations/{id}': {
    get: {
      summary: 'A bulk delete: its step, progress, backup and result',
      ok: 200,
      answer: OperationView,
      errors: onBackup,
      tag: 'backups',
    },
  },
  '/api/v1/errors/{errorId}': {
    get: {
      summary:
        'The details of an error a notification told of (the errorId of an `error` message on /ws): code, category, messages, context, sanitized request and response',
      ok: 200,
      answer: ErrorDetailsView,
      errors: [...common, 404],
      tag: 'notifications',
    },
  },
  '/api/v1/operations/{id}/confirm': {
    post: {
      summary: 'Confirm a bulk delete whose backup is ready: the conversations are deleted',
      ok: 200,
      answer: OperationView,
      errors: [...onBackup, 409],
      tag: 'backups',
    },
  },
  '/api/v1/operations/{id}/cancel': {
    post: {
      summary: 'Cancel a bulk delete before it deletes: nothing is deleted, its backup is kept',
      ok: 200,
      answer: OperationView,
      errors: [...onBackup, 409],
      tag: 'backups',
    },
  },
  '/api/v1/webhooks': {
    post: {
      summary:
        'Register a webhook endpoint for some events; the answer carries its signing secret, shown only here. The URL must resolve to public addresses. 503 when the gateway has no signing key (set WEBHOOK_SIGNING_KEY)',
      body: CreateWebhookBody,
      ok: 201,
      answer: CreatedWebhook,
      errors: [...common, 400, 409, 422],
      tag: 'webhooks',
    },
    get: {
      summary: "The user's webhook endpoints, newest first (without their secrets)",
      ok: 200,
      answer: WebhookList,
      errors: common,
      tag: 'webhooks',
    },
  },
  '/api/v1/webhooks/{id}': {
    get: {
      summary: 'One webhook endpoint',
      ok: 200,
      answer: WebhookView,
      errors: [...common, 404],
      tag: 'webhooks',
    },
    delete: {
      summary: 'Delete a webhook endpoint: nothing more is delivered to it, its attempts are forgotten',
      ok: 204,
      errors: [...common, 404],
      tag: 'webhooks',
    },
  },
  '/api/v1/webhooks/{id}/deliveries': {
    get: {
      summary: "Every attempt of the endpoint's deliveries, newest first: status or error, duration, outcome",
      query: ListWebhookDeliveriesQuery,
      ok: 200,
      answer: WebhookDeliveryList,
      errors: [...common, 404, 422],
      tag: 'webhooks',
    },
  },
  '/api/backup/create': {
    post: {
      summary: 'Back up the named conversations; answers once the backup can be downloaded',
      body: SeedCreateBackupBody,
      ok: 200,
      answer: SeedBackupCreated,
      errors: [...common, 400, 422],
      tag: 'seeds 000/001/003 (compatible backup routes)',
    },
  },
  '/api/backup/progress': {
    get: {
      summary: "A restore's progress, as seed 003's polling loop reads it",
      query: SeedProgressQuery,
      ok: 200,
      answer: z.object({ progress: RestoreProgress }),
      errors: onBackup,
      tag: 'seeds 000/001/003 (compatible backup routes)',
    },
  },
  '/api/backup/download/{backupId}': {
    get: {
      ...download(
        'The backup as v1.0 JSON (decompressed as it streams), as an attachment',
        'application/json',
      ),
      tag: 'seeds 000/001/003 (compatible backup routes)',
    },
  },
  '/api/backup': {
    post: {
      summary:
        'Restore the backup in the body ({backupData} or the v1.0 file), streamed: {progressId} at once, or the result with ?wait=true',
      query: RestoreQuery,
      body: z.object({ backupData: z.record(z.string(), z.unknown()) }),
      ok: 200,
      answer: z.union([RestoreStarted, RestoreResult]),
      errors: [...common, 411, 413, 422],
      tag: 'seeds 000/001/003 (compatible backup routes)',
    },
    get: {
      summary: "Every conversation of the user as v1.0 JSON, streamed (seed 003's export)",
      ok: 200,
      media: 'application/json',
      errors: common,
      tag: 'seeds 000/001/003 (compatible backup routes)',
    },
  },
  '/batch/start': { post: seed('Start a batch of photo_ids or item_ids', SeedStartResult, SeedStartBody) },
  '/batch/{id}/pause': { post: seed('Pause', SeedCommandResult) },
  '/batch/{id}/resume': { post: seed('Resume', SeedCommandResult) },
  '/batch/{id}/cancel': { post: seed('Cancel', SeedCommandResult) },
  '/batch/{id}/status': { get: seed('Status', SeedBatchStatus) },
  '/batch/list': { get: seed("All the user's batches", SeedBatchList) },
  '/batch/recover': { post: seed('Recover interrupted batches', SeedRecoverResult) },
  '/batch/cleanup': { post: seed('Clean up old ended batches', SeedCleanupResult, SeedCleanupBody) },
  '/healthz': { get: { summary: 'The process is up', ok: 200, errors: [], tag: 'operations', public: true } },
  '/api/openapi.json': {
    get: { summary: 'This document (OpenAPI 3.1)', ok: 200, errors: [], tag: 'operations', public: true },
  },
  '/api/asyncapi.json': {
    get: { summary: 'The events (AsyncAPI 3.0)', ok: 200, errors: [], tag: 'operations', public: true },
  },
  '/readyz': {
    get: {
      summary: 'NATS and PostgreSQL reachable',
      ok: 200,
      errors: [503],
      tag: 'operations',
      public: true,
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics',
      ok: 200,
      media: 'text/plain',
      errors: [],
      tag: 'operations',
      public: true,
    },
  },
};

function operation(path: string, route: Route): Schema {
  const parameters = [
    ...pathParameters(path),
    ...Object.entries(route.query?.shape ?? {}).map(([name, schema]) => ({
      name,
      in: 'query',
      required: false,
      schema: schemaOf(schema as z.ZodType, 'input'),
    })),
  ];
  const answer = route.answer
    ? { content: { [route.media ?? 'application/json']: { schema: schemaOf(route.answer, 'output') } } }
    : route.media
      ? { content: { [route.media]: { schema: { type: 'string' } } } }
      : {};
  return {
    summary: route.summary,
    tags: [route.tag],
    ...(route.public ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: schemaOf(route.body, 'input') },
              ...Object.fromEntries(
                Object.entries(route.textBodies ?? {}).map(([media, description]) => [
                  media,
                  { schema: { type: 'string', description } },
                ]),
              ),
            },
          },
        }
      : {}),
    responses: {
      [route.ok]: { description: route.ok === 204 ? 'done, no content' : 'success', ...answer },
      ...Object.fromEntries(
        [...new Set(route.errors)].map((status) => [
          status,
          {
            description: ERROR_TEXT[status],
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
          },
        ]),
      ),
    },
  };
}

/** The OpenAPI 3.1 document of the REST API, generated from the contracts' zod schemas. */
export function openApiDocument(): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Batch platform API',
      version: '1.0.0',
      description:
        'Resumable batch jobs. Every route but the operations ones needs Authorization: Bearer <JWT>; ' +
        "another user's resources are 404. Errors are {error: {code, message, details?}}.",
    },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { ApiError: schemaOf(ApiErrorBody, 'output') },
    },
    paths: Object.fromEntries(
      Object.entries(ROUTES).map(([path, methods]) => [
        path,
        Object.fromEntries(
          Object.entries(methods).map(([method, route]) => [method, operation(path, route)]),
        ),
      ]),
    ),
  };
}
