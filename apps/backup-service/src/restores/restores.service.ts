import { randomBytes } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { z } from 'zod';
import type {
  BackupCommands,
  BackupQueries,
  RestoreProgress,
  RestoreResult,
  RestoreSource,
  RestoreStarted,
  UploadUrl,
} from '@batch/contracts';
import { DATA_SOURCE, LOGGER, SETTINGS, type Logger } from '@batch/platform';
import { backupExports } from '../backups/backup-exports.js';
import type { BackupConfig } from '../config/backup.config.js';
import { FactPublisher } from '../facts/fact-publisher.js';
import { BACKUP_METRICS, type BackupMetrics } from '../metrics/backup-metrics.js';
import { isBackupFormatError } from '../restore/backup-document.js';
import { restoreProgressStore } from '../restore/restore-progress.js';
import { prepareRestore } from '../restore/restorer.js';
import { Refusal } from '../rpc/refusal.js';
import { OBJECT_STORE, type ObjectStore } from '../storage/object-store.js';

/** Files uploaded to be restored; each is deleted once its restore ends. */
export const UPLOAD_PREFIX = 'uploads/';
/** An upload URL is valid this long: the gateway starts its upload at once. */
const UPLOAD_URL_SECONDS = 600;

const newRestoreId = () => `restore-${Date.now()}-${randomBytes(5).toString('hex')}`;
const uploadsOf = (userId: string) => `${UPLOAD_PREFIX}${encodeURIComponent(userId)}/`;

/** Seed 003's progress fields, nothing of the tracker's own. */
const publicProgress = (progress: RestoreProgress): RestoreProgress => ({
  model: progress.model,
  processed: progress.processed,
  total: progress.total,
  counts: progress.counts,
  recordId: progress.recordId,
  errors: progress.errors,
  startedAt: progress.startedAt,
  updatedAt: progress.updatedAt,
});

/**
 * Restores: a stored backup or an uploaded file, checked whole first (a malformed or wrong-version
 * file is refused before anything is written), then written in the background (or waited for),
 * with its progress readable from the first moment and facts a few times a second.
 */
@Injectable()
export class RestoresService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(SETTINGS) private readonly settings: BackupConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(BACKUP_METRICS) private readonly metrics: BackupMetrics,
    private readonly facts: FactPublisher,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.running);
  }

  async uploadUrl({ userId }: z.output<(typeof BackupCommands)['upload-url']>): Promise<UploadUrl> {
    const uploadKey = `${uploadsOf(userId)}${newRestoreId()}.json`;
    return { url: await this.store.presign('PUT', uploadKey, UPLOAD_URL_SECONDS), uploadKey };
  }

  async restore({
    userId,
    source,
    wait,
  }: z.output<(typeof BackupCommands)['restore']>): Promise<RestoreStarted | RestoreResult> {
    const restoreId = newRestoreId();
    const { run } = await this.start(userId, restoreId, source);
    return wait ? run : { progressId: restoreId };
  }

  /**
   * Restores that were under way when the service stopped are taken on again from the start
   * (restoring is idempotent) with the same progress id; one whose file is gone ends in `error`.
   */
  async onApplicationBootstrap(): Promise<void> {
    const unfinished = (await this.ds.query(
      `SELECT restore_id, user_id, source FROM restores WHERE expires_at IS NULL`,
    )) as { restore_id: string; user_id: string; source: RestoreSource }[];
    if (unfinished.length > 0) this.logger.info({ restores: unfinished.length }, 'resuming restores');
    for (const { restore_id, user_id, source } of unfinished)
      this.start(user_id, restore_id, source).catch(async (error: unknown) => {
        this.logger.error({ err: error, restoreId: restore_id }, 'restore could not be resumed');
        await this.abandon(restore_id, `restore could not be resumed: ${(error as Error).message}`);
      });
  }

  /** Checks the file and creates the progress (a format error refuses), then restores in the background. */
  private async start(
    userId: string,
    restoreId: string,
    source: RestoreSource,
  ): Promise<{ run: Promise<RestoreResult> }> {
    const open = await this.opener(userId, source);
    const upload = 'uploadKey' in source ? source.uploadKey : undefined;
    const removeUpload = async () => {
      if (upload) await this.store.remove(upload).catch(() => undefined);
    };
    const fact = { kind: 'restore' as const, id: restoreId, userId };
    let prepared;
    try {
      prepared = await prepareRestore({
        ds: this.ds,
        open,
        userId,
        restoreId,
        source,
        batchSize: this.settings.RESTORE_BATCH_SIZE,
        progressTtlMs: this.settings.RESTORE_PROGRESS_TTL_MS,
        onProgress: ({ model, processed, total }) =>
          this.facts.progress({ ...fact, status: model, processed, total }),
      });
    } catch (error) {
      await removeUpload();
      if (isBackupFormatError(error)) throw new Refusal('validation', error.message);
      throw error;
    }
    const run = prepared.run().then(
      async (result) => {
        this.metrics.restoreEnded('completed', result.processed);
        await this.facts.status({
          ...fact,
          status: 'completed',
          processed: result.processed,
          total: result.processed,
        });
        return result;
      },
      async (error: unknown) => {
        this.logger.error({ err: error, restoreId }, 'restore failed');
        this.metrics.restoreEnded('failed');
        await this.facts.status({ ...fact, status: 'error', processed: 0, total: null });
        throw new Refusal('failed', `restore ${restoreId} failed; its progress says where`);
      },
    );
    const tracked = run.finally(removeUpload).catch(() => undefined);
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
    return { run };
  }

  /** Ends a restore's progress in `error` with why (its file is gone), readable until the TTL. */
  private async abandon(restoreId: string, message: string): Promise<void> {
    const now = new Date();
    await this.ds.query(
      `UPDATE restores SET expires_at = $4, progress = progress || jsonb_build_object(
         'model', 'error', 'updatedAt', $3::text, 'errors', (progress -> 'errors') || to_jsonb($2::text))
       WHERE restore_id = $1`,
      [
        restoreId,
        message,
        now.toISOString(),
        new Date(now.getTime() + this.settings.RESTORE_PROGRESS_TTL_MS),
      ],
    );
  }

  async progress({
    userId,
    progressId,
  }: z.output<(typeof BackupQueries)['restore']>): Promise<{ progress: RestoreProgress }> {
    const progress = await restoreProgressStore(this.ds, {
      progressTtlMs: this.settings.RESTORE_PROGRESS_TTL_MS,
    }).get(userId, progressId);
    if (!progress) throw new Refusal('not_found', `restore ${progressId} not found`);
    return { progress: publicProgress(progress) };
  }

  /** Opens the source afresh each time it is read: the user's stored backup (gunzipped), or their upload. */
  private async opener(userId: string, source: RestoreSource): Promise<() => Promise<Readable>> {
    if ('uploadKey' in source) {
      if (!source.uploadKey.startsWith(uploadsOf(userId)))
        throw new Refusal('not_found', 'no such upload of yours');
      return () => this.store.open(source.uploadKey);
    }
    const backup = await backupExports(this.ds).get(userId, source.backupId);
    if (!backup) throw new Refusal('not_found', `backup ${source.backupId} not found`);
    if (backup.status === 'expired')
      throw new Refusal('gone', `backup ${backup.backup_id} expired at ${backup.expires_at}`);
    if (backup.status !== 'ready')
      throw new Refusal('invalid_state', `backup ${backup.backup_id} is ${backup.status}, not ready`);
    return async () => pipeline(await this.store.open(backup.file_path), createGunzip(), () => undefined);
  }
}
