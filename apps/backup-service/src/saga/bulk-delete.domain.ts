import { randomUUID } from 'node:crypto';
import type { OperationStep } from '@batch/contracts';

/**
 * The pre-delete backup saga as an aggregate: a bulk delete of conversations that is requested,
 * backed up, confirmed by its user, then executed, or ends failed (its backup failed), cancelled,
 * or expired (never confirmed) with nothing deleted. Pure: the saga runner does the work each step
 * asks for and records its outcome here.
 */

interface Base {
  operationId: string;
  eventId: string;
  at: string;
}

export type OperationEvent =
  | (Base & {
      type: 'DeleteRequested';
      userId: string;
      conversationIds: string[];
      backup: boolean;
      reason: string;
      confirm: 'after_backup' | 'now';
      /** Without a backup to wait for, the confirmation is awaited from the request on. */
      confirmBy: string | null;
    })
  | (Base & { type: 'BackupStarted'; backupId: string })
  | (Base & {
      type: 'BackupSucceeded';
      backupId: string;
      conversationCount: number;
      skippedIds: string[];
      confirmBy: string | null;
    })
  | (Base & { type: 'BackupFailed'; error: string })
  | (Base & { type: 'DeleteConfirmed' })
  | (Base & { type: 'OperationCancelled' })
  | (Base & { type: 'ConfirmationExpired' })
  | (Base & { type: 'ConversationsDeleted'; deletedCount: number });

export interface OperationState {
  operationId: string;
  userId: string;
  step: OperationStep | 'none';
  conversationIds: string[];
  backup: boolean;
  reason: string;
  confirm: 'after_backup' | 'now';
  backupId: string | null;
  /** Conversations in the backup: the ones a delete after a backup removes. */
  backedUp: string[] | null;
  confirmBy: string | null;
  deletedCount: number | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export type OperationCommand =
  | {
      type: 'Request';
      operationId: string;
      userId: string;
      conversationIds: string[];
      backup: boolean;
      reason: string;
      confirm: 'after_backup' | 'now';
      confirmTimeoutMs: number;
    }
  | { type: 'StartBackup'; backupId: string }
  | {
      type: 'RecordBackup';
      backupId: string;
      conversationCount: number;
      skippedIds: string[];
      confirmTimeoutMs: number;
    }
  | { type: 'FailBackup'; error: string }
  | { type: 'Confirm' }
  | { type: 'Cancel' }
  | { type: 'Expire'; now: Date }
  | { type: 'RecordDeleted'; deletedCount: number };

/** A command the operation's step does not allow; the caller gets a 409 naming the step. */
export class OperationStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationStateError';
  }
}

export const initialOperation = (): OperationState => ({
  operationId: '',
  userId: '',
  step: 'none',
  conversationIds: [],
  backup: false,
  reason: '',
  confirm: 'after_backup',
  backupId: null,
  backedUp: null,
  confirmBy: null,
  deletedCount: null,
  error: null,
  createdAt: '',
  updatedAt: '',
});

export function evolveOperation(state: OperationState, event: OperationEvent): OperationState {
  const next = { ...state, updatedAt: event.at };
  switch (event.type) {
    case 'DeleteRequested':
      return {
        ...next,
        operationId: event.operationId,
        userId: event.userId,
        conversationIds: event.conversationIds,
        backup: event.backup,
        reason: event.reason,
        confirm: event.confirm,
        confirmBy: event.confirmBy,
        createdAt: event.at,
        step: event.backup ? 'requested' : event.confirm === 'now' ? 'deleting' : 'awaiting_confirmation',
      };
    case 'BackupStarted':
      return { ...next, step: 'backing_up', backupId: event.backupId };
    case 'BackupSucceeded': {
      const skipped = new Set(event.skippedIds);
      return {
        ...next,
        step: state.confirm === 'now' ? 'deleting' : 'awaiting_confirmation',
        backedUp: state.conversationIds.filter((id) => !skipped.has(id)),
        confirmBy: event.confirmBy,
      };
    }
    case 'BackupFailed':
      return { ...next, step: 'failed', error: event.error };
    case 'DeleteConfirmed':
      return { ...next, step: 'deleting' };
    case 'OperationCancelled':
      return { ...next, step: 'cancelled' };
    case 'ConfirmationExpired':
      return { ...next, step: 'expired' };
    case 'ConversationsDeleted':
      return { ...next, step: 'done', deletedCount: event.deletedCount };
  }
}

const confirmByOf = (at: Date, timeoutMs: number) => new Date(at.getTime() + timeoutMs).toISOString();

export function decideOperation(command: OperationCommand, state: OperationState): OperationEvent[] {
  const now = new Date();
  const operationId = command.type === 'Request' ? command.operationId : state.operationId;
  const base = { operationId, eventId: randomUUID(), at: now.toISOString() };
  const refuse = (what: string): never => {
    throw new OperationStateError(`cannot ${what}: operation ${state.operationId} is ${state.step}`);
  };
  switch (command.type) {
    case 'Request': {
      if (state.step !== 'none') return [];
      const { type: _, confirmTimeoutMs, ...request } = command;
      const waits = !request.backup && request.confirm === 'after_backup';
      return [
        {
          ...base,
          ...request,
          type: 'DeleteRequested',
          confirmBy: waits ? confirmByOf(now, confirmTimeoutMs) : null,
        },
      ];
    }
    case 'StartBackup':
      return state.step === 'requested'
        ? [{ ...base, type: 'BackupStarted', backupId: command.backupId }]
        : [];
    case 'RecordBackup':
      if (state.step !== 'backing_up' || state.backupId !== command.backupId) return [];
      return [
        {
          ...base,
          type: 'BackupSucceeded',
          backupId: command.backupId,
          conversationCount: command.conversationCount,
          skippedIds: command.skippedIds,
          confirmBy: state.confirm === 'now' ? null : confirmByOf(now, command.confirmTimeoutMs),
        },
      ];
    case 'FailBackup':
      return state.step === 'backing_up' ? [{ ...base, type: 'BackupFailed', error: command.error }] : [];
    case 'Confirm':
      if (state.step === 'deleting' || state.step === 'done') return [];
      return state.step === 'awaiting_confirmation'
        ? [{ ...base, type: 'DeleteConfirmed' }]
        : refuse('confirm');
    case 'Cancel':
      if (state.step === 'cancelled') return [];
      return ['requested', 'backing_up', 'awaiting_confirmation'].includes(state.step)
        ? [{ ...base, type: 'OperationCancelled' }]
        : refuse('cancel');
    case 'Expire':
      return state.step === 'awaiting_confirmation' &&
        state.confirmBy !== null &&
        new Date(state.confirmBy) <= command.now
        ? [{ ...base, type: 'ConfirmationExpired' }]
        : [];
    case 'RecordDeleted':
      return state.step === 'deleting'
        ? [{ ...base, type: 'ConversationsDeleted', deletedCount: command.deletedCount }]
        : [];
  }
}

/** The conversations the delete step removes: with a backup, only those it holds. */
export const toDelete = (state: OperationState): string[] =>
  state.backup ? (state.backedUp ?? []) : state.conversationIds;
