import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type {
  BackupCommandName,
  BackupCommands,
  BackupQueries,
  BackupQueryName,
  Names,
  OperationCommandName,
  OperationCommands,
} from '@batch/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { NAMES, NATS, NATS_CONNECTED, SETTINGS, type NatsConnected } from '@batch/platform';
import type { GatewayConfig } from '../config/gateway.config.js';
import { askService } from '../rpc/ask-service.js';

/** The backup service's commands and queries over NATS request/reply. */
@Injectable()
export class BackupClient {
  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NATS_CONNECTED) private readonly natsConnected: NatsConnected,
    @Inject(NAMES) private readonly names: Names,
    @Inject(SETTINGS) private readonly settings: GatewayConfig,
  ) {}

  /** Commands may take as long as a backup or a waited-for restore does: BACKUP_TIMEOUT_MS. */
  command<R, N extends BackupCommandName = BackupCommandName>(
    name: N,
    payload: z.input<(typeof BackupCommands)[N]>,
  ): Promise<R> {
    return this.ask(this.names.backupCommand(name), payload, this.settings.BACKUP_TIMEOUT_MS);
  }

  query<R, N extends BackupQueryName = BackupQueryName>(
    name: N,
    payload: z.input<(typeof BackupQueries)[N]>,
  ): Promise<R> {
    return this.ask(this.names.backupQuery(name), payload, this.settings.ORCHESTRATOR_TIMEOUT_MS);
  }

  /** The bulk-delete saga: commands answer once recorded, the work goes on in the backup service. */
  operation<R, N extends OperationCommandName = OperationCommandName>(
    name: N,
    payload: z.input<(typeof OperationCommands)[N]>,
  ): Promise<R> {
    const subject = name === 'operation' ? this.names.backupQuery(name) : this.names.backupCommand(name);
    return this.ask(subject, payload, this.settings.ORCHESTRATOR_TIMEOUT_MS);
  }

  private ask<R>(subject: string, payload: unknown, timeoutMs: number): Promise<R> {
    return askService(this.nc, this.natsConnected, 'backup service', subject, payload, timeoutMs);
  }
}
