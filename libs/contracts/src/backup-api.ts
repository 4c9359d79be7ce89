import { z } from 'zod';
import { BatchId, UserId } from './ids.js';

/**
 * Backups and restores (ARCHITECTURE.md "Backups"): the bodies and answers of their REST routes
 * (the seeds' and the native ones), and the requests `backup-service` answers over NATS.
 */

/** `backup-<ms>-<random>`, as seed 001 shows it. */
export const BackupId = z.string().regex(/^backup-\d{13}-[a-z0-9]{6,16}$/, 'is not a backup id');
export type BackupId = z.infer<typeof BackupId>;

/** Restores, by the id their progress is read with. */
export const ProgressId = z.string().regex(/^restore-\d{13}-[a-z0-9]{6,16}$/, 'is not a restore progress id');
export type ProgressId = z.infer<typeof ProgressId>;

/** One request names at most this many conversations (a batch's are named by its id instead). */
export const MAX_CONVERSATIONS_PER_REQUEST = 10_000;

/** What the ids of one request may weigh together: they travel in one NATS message and one event. */
const MAX_ID_CHARACTERS = 600_000;

export const ConversationIds = z
  .array(z.string().min(1).max(200))
  .min(1)
  .max(MAX_CONVERSATIONS_PER_REQUEST, `at most ${MAX_CONVERSATIONS_PER_REQUEST} conversation ids per request`)
  .refine(
    (ids) => ids.reduce((characters, id) => characters + id.length, 0) <= MAX_ID_CHARACTERS,
    `the ids may have at most ${MAX_ID_CHARACTERS} characters together`,
  );

export const BackupReason = z.string().min(1).max(100);
export const DEFAULT_BACKUP_REASON = 'manual_backup';

export const BackupStatus = z.enum(['creating', 'ready', 'failed', 'expired']);
export type BackupStatus = z.infer<typeof BackupStatus>;

const timestamp = z.iso.datetime({ offset: true });

/** Seeds 000/001: `POST /api/backup/create`. */
export const SeedCreateBackupBody = z.object({
  conversationIds: ConversationIds,
  reason: BackupReason.default(DEFAULT_BACKUP_REASON),
});
export type SeedCreateBackupBody = z.input<typeof SeedCreateBackupBody>;

/** `POST /api/v1/backups`: the named conversations, or every conversation of a batch. */
export const CreateBackupBody = z
  .object({
    conversationIds: ConversationIds.optional(),
    batchId: BatchId.optional(),
    reason: BackupReason.default(DEFAULT_BACKUP_REASON),
  })
  .refine((body) => (body.conversationIds === undefined) !== (body.batchId === undefined), {
    message: 'name either conversationIds or batchId',
    path: ['conversationIds'],
  });
export type CreateBackupBody = z.input<typeof CreateBackupBody>;

export const BackupView = z.object({
  backup_id: z.string(),
  status: BackupStatus,
  reason: z.string(),
  conversation_count: z.number().int().describe('conversations written to the backup'),
  skipped_ids: z
    .array(z.string())
    .describe('requested ids that were not exported: they do not exist or are not yours'),
  size_bytes: z.number().int().nullable().describe('the stored object (gzip)'),
  sha256: z.string().nullable().describe('hex sha256 of the stored object'),
  file_path: z.string().describe('the object key in the bucket'),
  created_at: timestamp,
  completed_at: timestamp.nullable(),
  expires_at: timestamp,
  error: z.string().nullable(),
});
export type BackupView = z.infer<typeof BackupView>;

export const ListBackupsQuery = z.object({
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().positive().max(1000).optional(),
});
export type ListBackupsQuery = z.input<typeof ListBackupsQuery>;

export const BackupList = z.object({ backups: z.array(BackupView), next_cursor: z.string().nullable() });
export type BackupList = z.infer<typeof BackupList>;

/** Seeds 000/001: the answer of `POST /api/backup/create`, once the backup can be downloaded. */
export const SeedBackupCreated = z.object({
  backupId: z.string(),
  filePath: z.string(),
  expiresAt: timestamp,
  conversationCount: z.number().int(),
  skippedIds: z.array(z.string()),
});
export type SeedBackupCreated = z.infer<typeof SeedBackupCreated>;

export const DownloadLink = z.object({
  url: z.string().describe('opens without an Authorization header, once'),
  expiresAt: timestamp,
});
export type DownloadLink = z.infer<typeof DownloadLink>;

/** Seed 003's restore progress, as its client polls it. */
export const RestoreProgress = z.object({
  model: z.string().describe('starting, then the table being restored, then completed or error'),
  processed: z.number().int(),
  total: z.number().int(),
  counts: z.record(z.string(), z.object({ processed: z.number().int(), total: z.number().int() })),
  recordId: z.string().nullable(),
  errors: z.array(z.string()).describe('"<table>:<recordId> - <message>", the first 1,000'),
  startedAt: timestamp,
  updatedAt: timestamp,
});
export type RestoreProgress = z.infer<typeof RestoreProgress>;

export const RestoreStarted = z.object({ progressId: z.string() });
export type RestoreStarted = z.infer<typeof RestoreStarted>;

/** A restore that was waited for (`?wait=true`). */
export const RestoreResult = z.object({
  success: z.boolean().describe('every record restored'),
  progressId: z.string(),
  processed: z.number().int(),
  errors: z.array(z.string()),
  results: z.record(z.string(), z.object({ processed: z.number().int(), total: z.number().int() })),
});
export type RestoreResult = z.infer<typeof RestoreResult>;

export const RestoreQuery = z.object({ wait: z.enum(['true', 'false']).optional() });
export const SeedProgressQuery = z.object({ id: ProgressId });

/** Where a restore reads its backup from: a stored backup, or a file uploaded for it. */
export const RestoreSource = z.union([
  z.object({ backupId: BackupId }),
  z.object({ uploadKey: z.string().min(1).max(300) }),
]);
export type RestoreSource = z.infer<typeof RestoreSource>;

const own = { userId: UserId };

/** Requests `backup-service` answers over NATS request/reply (`backup.cmd.<name>`). */
export const BackupCommands = {
  create: z.object({
    ...own,
    conversationIds: ConversationIds.optional(),
    batchId: BatchId.optional(),
    /** Every conversation of the user (seed 003's full export). */
    all: z.boolean().optional(),
    reason: BackupReason,
  }),
  /** A short-lived URL the gateway uploads a backup file to before restoring it. */
  'upload-url': z.object(own),
  restore: z.object({ ...own, source: RestoreSource, wait: z.boolean() }),
};
export type BackupCommandName = keyof typeof BackupCommands;

/** Queries of `backup-service` (`backup.query.<name>`). */
export const BackupQueries = {
  get: z.object({ ...own, backupId: BackupId }),
  list: z.object({ ...own, cursor: z.string().optional(), limit: z.number().int().positive().optional() }),
  /** A URL the gateway reads the stored object from, valid a minute; an expired backup is `gone`. */
  download: z.object({ ...own, backupId: BackupId }),
  restore: z.object({ ...own, progressId: ProgressId }),
};
export type BackupQueryName = keyof typeof BackupQueries;

export const UploadUrl = z.object({ url: z.string(), uploadKey: z.string() });
export type UploadUrl = z.infer<typeof UploadUrl>;

export const StoredObject = z.object({
  url: z.string(),
  backupId: z.string(),
  sha256: z.string(),
  sizeBytes: z.number().int(),
});
export type StoredObject = z.infer<typeof StoredObject>;

/**
 * What backups, restores and bulk deletes tell their users as they go (a few a second at most, and
 * their end), on `backup.facts.<kind>.<id>`; the notifications turn them into messages.
 */
export const BackupFact = z.object({
  kind: z.enum(['backup', 'restore', 'operation']),
  id: z.string(),
  userId: UserId,
  at: timestamp,
  status: z.string().describe('running, then ready / completed / failed / expired / cancelled ...'),
  processed: z.number().int(),
  total: z.number().int().nullable(),
  message: z.string().optional(),
});
export type BackupFact = z.infer<typeof BackupFact>;

/** Bulk deletes, by the id their progress is read with. */
export const OperationId = z.string().regex(/^op-\d{13}-[a-z0-9]{6,16}$/, 'is not an operation id');
export type OperationId = z.infer<typeof OperationId>;

/**
 * `POST /api/v1/conversations/bulk-delete`: with `backup`, nothing is deleted unless the backup of
 * the conversations succeeded; `confirm: "after_backup"` (the default) waits for the user's
 * confirmation (`POST /api/v1/operations/:id/confirm`) once the backup is ready, `"now"` deletes
 * as soon as it is.
 */
export const BulkDeleteBody = z.object({
  conversationIds: ConversationIds,
  backup: z.boolean().default(true),
  reason: BackupReason.default('bulk_delete'),
  confirm: z.enum(['after_backup', 'now']).default('after_backup'),
});
export type BulkDeleteBody = z.input<typeof BulkDeleteBody>;

export const OperationStep = z.enum([
  'requested',
  'backing_up',
  'awaiting_confirmation',
  'deleting',
  'done',
  'failed',
  'cancelled',
  'expired',
]);
export type OperationStep = z.infer<typeof OperationStep>;

export const ENDED_STEPS: readonly OperationStep[] = ['done', 'failed', 'cancelled', 'expired'];

/** The message of a bulk delete whose backup failed (seed 004's words). */
export const BACKUP_FAILED_MESSAGE = 'Backup creation failed. Delete operation cancelled.';

export const OperationView = z.object({
  operation_id: z.string(),
  kind: z.literal('bulk_delete'),
  step: OperationStep,
  backup: z.boolean().describe('whether the conversations are backed up before they are deleted'),
  confirm: z.enum(['after_backup', 'now']),
  conversation_count: z.number().int().describe('conversations named in the request'),
  progress: z.object({ processed: z.number().int(), total: z.number().int() }),
  backup_id: z.string().nullable(),
  backup_download: z
    .string()
    .nullable()
    .describe('where the backup downloads (bearer token; POST .../download-link for a browser link)'),
  confirm_by: timestamp.nullable().describe('an unconfirmed operation ends `expired` then, nothing deleted'),
  deleted_count: z.number().int().nullable(),
  message: z.string().nullable().describe('why it failed, or what it waits for'),
  error: z.string().nullable().describe('the cause of a failure'),
  created_at: timestamp,
  updated_at: timestamp,
});
export type OperationView = z.infer<typeof OperationView>;

export const OperationStarted = z.object({ operationId: z.string() });
export type OperationStarted = z.infer<typeof OperationStarted>;

/** The bulk-delete saga's requests (`backup.cmd.<name>`, `backup.query.operation`). */
export const OperationCommands = {
  'bulk-delete': z.object({
    userId: UserId,
    conversationIds: ConversationIds,
    backup: z.boolean(),
    reason: BackupReason,
    confirm: z.enum(['after_backup', 'now']),
  }),
  confirm: z.object({ userId: UserId, operationId: OperationId }),
  cancel: z.object({ userId: UserId, operationId: OperationId }),
  operation: z.object({ userId: UserId, operationId: OperationId }),
};
export type OperationCommandName = keyof typeof OperationCommands;
