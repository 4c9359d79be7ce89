import { Module } from '@nestjs/common';
import { JETSTREAM_MANAGER, LOGGER, NAMES, SETTINGS, type Logger } from '@batch/platform';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Names } from '@batch/contracts';
import { ensureBackupFactsStream } from '@batch/messaging';
import { BACKUP_PREFIX, BackupsService } from './backups/backups.service.js';
import { ExpirySweeperService } from './backups/expiry-sweeper.service.js';
import type { BackupConfig } from './config/backup.config.js';
import { FactPublisher } from './facts/fact-publisher.js';
import { backupMetricsProvider } from './metrics/backup-metrics.js';
import { RestoresService } from './restores/restores.service.js';
import { BackupRpcService } from './rpc/backup-rpc.service.js';
import { BulkDeleteSaga } from './saga/bulk-delete.saga.js';
import { createObjectStore, OBJECT_STORE, prepareBucket, s3Client } from './storage/object-store.js';

/** The bucket (made ready with its lifecycle rule) and the facts stream, before any request is served. */
const objectStoreProvider = {
  provide: OBJECT_STORE,
  inject: [SETTINGS, LOGGER, JETSTREAM_MANAGER, NAMES],
  useFactory: async (settings: BackupConfig, logger: Logger, jsm: JetStreamManager, names: Names) => {
    const client = s3Client(settings);
    await prepareBucket(client, settings, logger, BACKUP_PREFIX);
    await ensureBackupFactsStream(jsm, names, settings.EVENTS_REPLICAS);
    return createObjectStore(client, settings.S3_BUCKET, settings.S3_PART_SIZE_MB * 1024 * 1024);
  },
};

@Module({
  providers: [
    objectStoreProvider,
    backupMetricsProvider,
    FactPublisher,
    BackupsService,
    ExpirySweeperService,
    BulkDeleteSaga,
    RestoresService,
    BackupRpcService,
  ],
})
export class AppModule {}
