import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, LOGGER, SETTINGS, type Logger } from '@batch/platform';
import type { BackupConfig } from '../config/backup.config.js';
import { BACKUP_METRICS, type BackupMetrics } from '../metrics/backup-metrics.js';
import { OBJECT_STORE, type ObjectStore } from '../storage/object-store.js';
import { restoreProgressStore } from '../restore/restore-progress.js';
import { backupExports } from './backup-exports.js';

const SWEEP_PAGE = 500;

/**
 * Every BACKUP_SWEEP_INTERVAL_MS (and once at start): deletes the objects of backups past their
 * expiry and marks them `expired`, so retention holds on stores without lifecycle rules too; and
 * removes the restores whose progress is past RESTORE_PROGRESS_TTL_MS. An object the store's own
 * rule removed first is no error. Replicas may sweep at once: both deletes succeed, both marks agree.
 */
@Injectable()
export class ExpirySweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(SETTINGS) private readonly settings: BackupConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(BACKUP_METRICS) private readonly metrics: BackupMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const run = () => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
    };
    run();
    this.timer = setInterval(run, this.settings.BACKUP_SWEEP_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** Expires what is due now; answers how many backups it expired. */
  async sweep(): Promise<number> {
    const rows = backupExports(this.ds);
    let expired = 0;
    try {
      for (;;) {
        const due = await rows.expired(new Date(), SWEEP_PAGE);
        for (const backup of due) {
          await this.store.remove(backup.file_path);
          await rows.markExpired(backup.backup_id);
        }
        expired += due.length;
        if (due.length < SWEEP_PAGE) break;
      }
      if (expired > 0) this.logger.info({ expired }, 'expired backups removed');
      const restores = await restoreProgressStore(this.ds).deleteExpired();
      if (restores > 0) this.logger.info({ restores }, 'ended restores past their progress TTL removed');
      this.metrics.sweepEnded(true);
    } catch (error) {
      this.logger.warn({ err: error, expired }, 'backup sweep stopped; the next one goes on');
      this.metrics.sweepEnded(false);
    }
    return expired;
  }
}
