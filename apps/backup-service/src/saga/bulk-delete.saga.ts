import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import type { z } from 'zod';
import {
  BACKUP_FAILED_MESSAGE,
  ENDED_STEPS,
  type Names,
  type OperationCommands,
  type OperationStarted,
  type OperationView,
} from '@batch/contracts';
import {
  createAggregateStore,
  createEventStore,
  createSnapshotStore,
  type AggregateStore,
} from '@batch/event-store';
import { deleteConversations, inTransaction } from '@batch/persistence';
import { DATA_SOURCE, LOGGER, NAMES, NATS, SETTINGS, type Logger } from '@batch/platform';
import { BackupsService, newBackupId } from '../backups/backups.service.js';
import type { BackupConfig } from '../config/backup.config.js';
import { FactPublisher } from '../facts/fact-publisher.js';
import { Refusal } from '../rpc/refusal.js';
import {
  decideOperation,
  evolveOperation,
  initialOperation,
  OperationStateError,
  toDelete,
  type OperationCommand,
  type OperationEvent,
  type OperationState,
} from './bulk-delete.domain.js';
import { operationAggregate } from './operation.aggregate.js';

type Request<N extends keyof typeof OperationCommands> = z.output<(typeof OperationCommands)[N]>;

const newOperationId = () => `op-${Date.now()}-${randomBytes(5).toString('hex')}`;

/**
 * Runs bulk deletes: the pre-delete backup saga. Its state is the operation's event log (an
 * aggregate of the generic store); each step's work is done, then its outcome recorded, and the
 * read model (`delete_operations`) follows every decision. After a crash, every operation the read
 * model shows unfinished is loaded from its log and taken on from its step: a backup cut short is
 * made again under the same id, and the delete step's work is written in one transaction with its
 * result, so it happens once however often the step runs.
 */
@Injectable()
export class BulkDeleteSaga implements OnApplicationBootstrap, OnApplicationShutdown {
  private store!: AggregateStore<OperationState, OperationCommand, OperationEvent>;
  private readonly running = new Map<string, Promise<void>>();
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private readonly progress = new Map<string, number>();
  private stopping = false;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NAMES) private readonly names: Names,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(SETTINGS) private readonly settings: BackupConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly backups: BackupsService,
    private readonly facts: FactPublisher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const events = await createEventStore(this.nc, {
      aggregate: operationAggregate(this.names),
      stream: { replicas: this.settings.EVENTS_REPLICAS },
    });
    await events.ensure();
    const snapshots = await createSnapshotStore(this.nc, { bucket: this.names.operationSnapshotBucket });
    this.store = createAggregateStore({
      events,
      snapshots,
      decider: {
        initialState: initialOperation,
        evolve: evolveOperation,
        decide: decideOperation,
        // A handful of events each: replaying the log is the whole load.
        toSnapshot: () => undefined,
        fromSnapshot: () => initialOperation(),
      },
    });
    const unfinished = (await this.ds.query(
      `SELECT operation_id FROM delete_operations WHERE step <> ALL($1::text[])`,
      [ENDED_STEPS],
    )) as { operation_id: string }[];
    if (unfinished.length > 0) this.logger.info({ operations: unfinished.length }, 'resuming bulk deletes');
    for (const { operation_id } of unfinished) this.advance(operation_id);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.deadlines.forEach((timer) => clearTimeout(timer));
    await Promise.allSettled(this.running.values());
  }

  async request(request: Request<'bulk-delete'>): Promise<OperationStarted> {
    const operationId = newOperationId();
    await this.decide(operationId, {
      type: 'Request',
      operationId,
      ...request,
      confirmTimeoutMs: this.settings.DELETE_CONFIRM_TIMEOUT_MS,
    });
    this.advance(operationId);
    return { operationId };
  }

  async confirm({ userId, operationId }: Request<'confirm'>): Promise<OperationView> {
    await this.owned(userId, operationId);
    await this.decide(operationId, { type: 'Confirm' });
    this.advance(operationId);
    return this.view(userId, operationId);
  }

  async cancel({ userId, operationId }: Request<'cancel'>): Promise<OperationView> {
    await this.owned(userId, operationId);
    await this.decide(operationId, { type: 'Cancel' });
    return this.view(userId, operationId);
  }

  async view(userId: string, operationId: string): Promise<OperationView> {
    const rows = (await this.ds.query(
      `SELECT state, deleted_count FROM delete_operations WHERE operation_id = $1 AND user_id = $2`,
      [operationId, userId],
    )) as { state: OperationState }[];
    if (!rows[0]) throw new Refusal('not_found', `operation ${operationId} not found`);
    return this.toView(rows[0].state);
  }

  private async owned(userId: string, operationId: string): Promise<void> {
    await this.view(userId, operationId);
  }

  /** Decides, appends, and writes the read model from the state the log now shows. */
  private async decide(operationId: string, command: OperationCommand): Promise<OperationState> {
    let handled;
    try {
      handled = await this.store.handle(operationId, command);
    } catch (error) {
      if (error instanceof OperationStateError) throw new Refusal('invalid_state', error.message);
      throw error;
    }
    const { state, version } = await this.store.load(operationId);
    await this.ds.query(
      `INSERT INTO delete_operations (operation_id, user_id, step, state, last_seq, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (operation_id) DO UPDATE SET step = EXCLUDED.step, state = EXCLUDED.state,
         last_seq = EXCLUDED.last_seq, updated_at = now()
       WHERE delete_operations.last_seq < EXCLUDED.last_seq`,
      [operationId, state.userId, state.step, JSON.stringify(state), version.seq],
    );
    if (handled.events.length > 0) await this.publish(state);
    return state;
  }

  /** Takes the operation on from its step, once at a time per operation. */
  private advance(operationId: string): void {
    if (this.stopping || this.running.has(operationId)) return;
    const run = this.step(operationId)
      .catch((error: unknown) => {
        this.logger.error({ err: error, operationId }, 'bulk delete step failed; it resumes on restart');
      })
      .finally(() => this.running.delete(operationId));
    this.running.set(operationId, run);
  }

  private async step(operationId: string): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const { state } = await this.store.load(operationId);
      switch (state.step) {
        case 'requested':
          await this.decide(operationId, { type: 'StartBackup', backupId: newBackupId() });
          continue;
        case 'backing_up':
          await this.backUp(state);
          continue;
        case 'awaiting_confirmation': {
          // Past its deadline it expires now; else it waits for it (or for the user).
          const waiting = await this.decide(operationId, { type: 'Expire', now: new Date() });
          if (waiting.step !== 'awaiting_confirmation') continue;
          this.expireAt(waiting);
          return;
        }
        case 'deleting':
          await this.decide(operationId, { type: 'RecordDeleted', deletedCount: await this.delete(state) });
          continue;
        default:
          this.progress.delete(operationId);
          return;
      }
    }
  }

  private async backUp(state: OperationState): Promise<void> {
    const { operationId, userId, conversationIds, reason } = state;
    try {
      const backup = await this.backups.create(
        { userId, conversationIds, reason },
        {
          backupId: state.backupId!,
          onProgress: (processed) => {
            this.progress.set(operationId, processed);
            this.facts.progress({
              kind: 'operation',
              id: operationId,
              userId,
              status: 'backing_up',
              processed,
              total: conversationIds.length,
            });
          },
        },
      );
      await this.decide(operationId, {
        type: 'RecordBackup',
        backupId: backup.backup_id,
        conversationCount: backup.conversation_count,
        skippedIds: backup.skipped_ids,
        confirmTimeoutMs: this.settings.DELETE_CONFIRM_TIMEOUT_MS,
      });
    } catch (error) {
      if (!(error instanceof Refusal && error.code === 'failed')) throw error;
      await this.decide(operationId, { type: 'FailBackup', error: error.message });
    }
  }

  /**
   * Deletes the operation's conversations and records how many in one transaction: run again
   * after a crash, it finds the count written and deletes nothing more.
   */
  private delete(state: OperationState): Promise<number> {
    return inTransaction(this.ds, async (runner) => {
      const [row] = (await runner.query(
        `SELECT deleted_count FROM delete_operations WHERE operation_id = $1 FOR UPDATE`,
        [state.operationId],
      )) as { deleted_count: number | null }[];
      if (row?.deleted_count != null) return row.deleted_count;
      const { deleted } = await deleteConversations(runner, state.userId, toDelete(state));
      await runner.query(`UPDATE delete_operations SET deleted_count = $2 WHERE operation_id = $1`, [
        state.operationId,
        deleted.length,
      ]);
      return deleted.length;
    });
  }

  /** An unconfirmed operation expires at its deadline (timers are set again after a restart). */
  private expireAt(state: OperationState): void {
    const { operationId } = state;
    clearTimeout(this.deadlines.get(operationId));
    const wait = Math.max(0, new Date(state.confirmBy!).getTime() - Date.now());
    const timer = setTimeout(() => {
      this.deadlines.delete(operationId);
      this.advance(operationId);
    }, wait);
    timer.unref();
    this.deadlines.set(operationId, timer);
  }

  private async publish(state: OperationState): Promise<void> {
    const view = this.toView(state);
    await this.facts.status({
      kind: 'operation',
      id: state.operationId,
      userId: state.userId,
      status: state.step,
      processed: view.progress.processed,
      total: view.progress.total,
      ...(view.message ? { message: view.message } : {}),
    });
  }

  private toView(state: OperationState): OperationView {
    const total = state.conversationIds.length;
    const processed =
      state.step === 'done'
        ? total
        : state.step === 'backing_up'
          ? (this.progress.get(state.operationId) ?? 0)
          : state.backedUp !== null
            ? state.backedUp.length
            : 0;
    return {
      operation_id: state.operationId,
      kind: 'bulk_delete',
      step: state.step === 'none' ? 'requested' : state.step,
      backup: state.backup,
      confirm: state.confirm,
      conversation_count: total,
      progress: { processed, total },
      backup_id: state.backedUp !== null ? state.backupId : null,
      backup_download: state.backedUp !== null ? `/api/backup/download/${state.backupId}` : null,
      confirm_by: state.step === 'awaiting_confirmation' ? state.confirmBy : null,
      deleted_count: state.deletedCount,
      message: messageOf(state),
      error: state.error,
      created_at: state.createdAt,
      updated_at: state.updatedAt,
    };
  }
}

function messageOf(state: OperationState): string | null {
  switch (state.step) {
    case 'failed':
      return BACKUP_FAILED_MESSAGE;
    case 'awaiting_confirmation':
      return state.backup
        ? `Backup ${state.backupId} is ready: confirm to delete ${state.backedUp?.length ?? 0} conversations`
        : `Confirm to delete ${state.conversationIds.length} conversations`;
    case 'expired':
      return 'Not confirmed in time: nothing was deleted';
    case 'cancelled':
      return 'Cancelled: nothing was deleted';
    default:
      return null;
  }
}
