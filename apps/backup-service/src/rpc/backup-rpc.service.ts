import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { BackupCommands, BackupQueries, OperationCommands, type Names } from '@batch/contracts';
import { serveRequests, type Route } from '@batch/messaging';
import { LOGGER, NAMES, NATS, type Logger } from '@batch/platform';
import { BackupsService } from '../backups/backups.service.js';
import { RestoresService } from '../restores/restores.service.js';
import { BulkDeleteSaga } from '../saga/bulk-delete.saga.js';
import { toCommandError } from './to-command-error.js';

/** The backup service's NATS request/reply surface: `backup.cmd.<name>` and `backup.query.<name>`. */
@Injectable()
export class BackupRpcService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NAMES) private readonly names: Names,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly backups: BackupsService,
    private readonly saga: BulkDeleteSaga,
    private readonly restores: RestoresService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { names, backups, saga, restores } = this;
    const command = (name: keyof typeof BackupCommands, handle: Route['handle']): Route => ({
      subject: names.backupCommand(name),
      schema: BackupCommands[name],
      handle,
    });
    const query = (name: keyof typeof BackupQueries, handle: Route['handle']): Route => ({
      subject: names.backupQuery(name),
      schema: BackupQueries[name],
      handle,
    });
    const operation = (name: keyof typeof OperationCommands, handle: Route['handle']): Route => ({
      subject: name === 'operation' ? names.backupQuery(name) : names.backupCommand(name),
      schema: OperationCommands[name],
      handle,
    });
    this.subscriptions = serveRequests(
      this.nc,
      [
        command('create', (request) => backups.create(request)),
        query('get', (request) => backups.get(request)),
        query('list', (request) => backups.list(request)),
        query('download', (request) => backups.download(request)),
        command('upload-url', (request) => restores.uploadUrl(request)),
        command('restore', (request) => restores.restore(request)),
        query('restore', (request) => restores.progress(request)),
        operation('bulk-delete', (request) => saga.request(request)),
        operation('confirm', (request) => saga.confirm(request)),
        operation('cancel', (request) => saga.cancel(request)),
        operation('operation', ({ userId, operationId }) => saga.view(userId, operationId)),
      ],
      { queue: 'backup-service', toCommandError: toCommandError(this.logger) },
    );
    await this.nc.flush();
  }

  onApplicationShutdown(): void {
    this.subscriptions.forEach((subscription) => subscription.unsubscribe());
  }
}
