import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { BackupCommands, BackupList, BackupQueries, BackupView, StoredObject } from '@batch/contracts';
import { DATA_SOURCE, LOGGER, SETTINGS, type Logger } from '@batch/platform';
import type { z } from 'zod';
import type { BackupConfig } from '../config/backup.config.js';
import { FactPublisher } from '../facts/fact-publisher.js';
import { BACKUP_METRICS, type BackupMetrics } from '../metrics/backup-metrics.js';
import { Refusal } from '../rpc/refusal.js';
import { OBJECT_STORE, type ObjectStore } from '../storage/object-store.js';
import { backupExports, type BackupExports } from './backup-exports.js';
import { writeBackup, type BackupSelection } from './backup-writer.js';

const DAY_MS = 86_400_000;
/** How long the URL the gateway reads a backup through stays valid. */
const DOWNLOAD_URL_SECONDS = 60;

export const BACKUP_PREFIX = 'backups/';

/** `backup-<ms>-<random>`, as seed 001 names backups. */
export const newBackupId = () => `backup-${Date.now()}-${randomBytes(5).toString('hex')}`;

/** The object key: `backups/<userId>/<backupId>.json.gz` (the user id URI-encoded: any character is safe). */
export const backupKey = (userId: string, backupId: string) =>
  `${BACKUP_PREFIX}${encodeURIComponent(userId)}/${backupId}.json.gz`;

export const backupFailedMessage = (error: unknown) =>
  `backup creation failed: ${(error as Error).message ?? String(error)}`.slice(0, 500);

/** Backups: made (streamed into S3), listed, read back through short-lived URLs. */
@Injectable()
export class BackupsService implements OnApplicationBootstrap {
  private readonly rows: BackupExports;

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(SETTINGS) private readonly settings: BackupConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(BACKUP_METRICS) private readonly metrics: BackupMetrics,
    private readonly facts: FactPublisher,
  ) {
    this.rows = backupExports(ds);
  }

  /** Backups this service was making when it stopped will never end: they failed. */
  async onApplicationBootstrap(): Promise<void> {
    const interrupted = await this.rows.interrupted();
    if (interrupted > 0)
      this.logger.warn({ backups: interrupted }, 'backups interrupted by a stop marked failed');
  }

  /**
   * Makes a backup and answers once it can be downloaded. A failure (PostgreSQL, S3, a checksum
   * mismatch) marks it `failed` and is refused with `failed`: a caller about to delete must not.
   * A saga passes the backup id it recorded, so a backup made again after a crash keeps its id.
   */
  async create(
    request: z.output<(typeof BackupCommands)['create']>,
    options: { backupId?: string; onProgress?: (processed: number) => void } = {},
  ): Promise<BackupView> {
    const { userId, reason } = request;
    const selection: BackupSelection = request.conversationIds
      ? { kind: 'ids', conversationIds: [...new Set(request.conversationIds)] }
      : request.batchId
        ? { kind: 'batch', batchId: request.batchId }
        : { kind: 'all' };
    const backupId = options.backupId ?? newBackupId();
    const key = backupKey(userId, backupId);
    const createdAt = new Date();
    await this.rows.insert({
      backupId,
      userId,
      filePath: key,
      conversationIds: selection.kind === 'ids' ? selection.conversationIds : [],
      batchId: selection.kind === 'batch' ? selection.batchId : null,
      reason,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + this.settings.BACKUP_RETENTION_DAYS * DAY_MS),
    });
    const total = selection.kind === 'ids' ? selection.conversationIds.length : null;
    const fact = { kind: 'backup' as const, id: backupId, userId, total };
    await this.facts.status({ ...fact, status: 'running', processed: 0 });
    try {
      const written = await writeBackup(this.ds, this.store, {
        userId,
        key,
        selection,
        reason,
        createdAt,
        pageSize: this.settings.BACKUP_PAGE_SIZE,
        onProgress: (processed) => {
          this.facts.progress({ ...fact, status: 'running', processed });
          options.onProgress?.(processed);
        },
      });
      const view = await this.rows.ready(backupId, written);
      this.metrics.backupEnded('ready', written);
      await this.facts.status({ ...fact, status: 'ready', processed: written.conversationCount });
      this.logger.info(
        { backupId, conversations: written.conversationCount, bytes: written.sizeBytes },
        'backup ready',
      );
      return view;
    } catch (error) {
      const message = backupFailedMessage(error);
      this.logger.error({ err: error, backupId }, 'backup failed');
      this.metrics.backupEnded('failed');
      await this.rows.failed(backupId, message).catch(() => undefined);
      await this.facts.status({ ...fact, status: 'failed', processed: 0, message });
      throw new Refusal('failed', message);
    }
  }

  async get({ userId, backupId }: z.output<(typeof BackupQueries)['get']>): Promise<BackupView> {
    const backup = await this.rows.get(userId, backupId);
    if (!backup) throw new Refusal('not_found', `backup ${backupId} not found`);
    return backup;
  }

  list({ userId, cursor, limit }: z.output<(typeof BackupQueries)['list']>): Promise<BackupList> {
    return this.rows.list(userId, cursor, limit ?? 50);
  }

  /** A URL reading the stored object; an expired backup is `gone`, one not ready a conflict. */
  async download(request: z.output<(typeof BackupQueries)['download']>): Promise<StoredObject> {
    const backup = await this.get(request);
    if (backup.status === 'expired' || new Date(backup.expires_at) <= new Date())
      throw new Refusal('gone', `backup ${backup.backup_id} expired at ${backup.expires_at}`);
    if (backup.status !== 'ready')
      throw new Refusal('invalid_state', `backup ${backup.backup_id} is ${backup.status}, not ready`);
    return {
      url: await this.store.presign('GET', backup.file_path, DOWNLOAD_URL_SECONDS),
      backupId: backup.backup_id,
      sha256: backup.sha256!,
      sizeBytes: backup.size_bytes!,
    };
  }
}
