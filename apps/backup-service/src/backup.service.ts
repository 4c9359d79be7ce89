import type { ServiceDefinition } from '@batch/platform';
import { AppModule } from './app.module.js';
import { BackupConfig } from './config/backup.config.js';

/** Backups in S3 with TTL, restores with progress, the pre-delete backup saga. */
export const backupService: ServiceDefinition<BackupConfig> = {
  name: 'backup-service',
  settings: BackupConfig,
  module: () => AppModule,
  defaultOpsPort: 9103,
  readyFields: (settings) => ({ s3: settings.S3_ENDPOINT, bucket: settings.S3_BUCKET }),
};
