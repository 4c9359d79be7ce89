import { describe, expect, it } from '@jest/globals';
import {
  decideOperation,
  evolveOperation,
  initialOperation,
  OperationStateError,
  toDelete,
  type OperationCommand,
  type OperationState,
} from './bulk-delete.domain.js';

const HOUR = 3_600_000;
const request = (fields: Partial<Extract<OperationCommand, { type: 'Request' }>> = {}): OperationCommand => ({
  type: 'Request',
  operationId: 'op-1700000000000-abcdef',
  userId: 'alice',
  conversationIds: ['c1', 'c2', 'c3'],
  backup: true,
  reason: 'bulk_delete',
  confirm: 'after_backup',
  confirmTimeoutMs: HOUR,
  ...fields,
});

/** Folds each command's decision into the state, as the aggregate store does. */
const run = (...commands: OperationCommand[]): OperationState =>
  commands.reduce(
    (state, command) => decideOperation(command, state).reduce(evolveOperation, state),
    initialOperation(),
  );

const backedUp = (skippedIds: string[] = []): OperationCommand[] => [
  request(),
  { type: 'StartBackup', backupId: 'backup-1' },
  {
    type: 'RecordBackup',
    backupId: 'backup-1',
    conversationCount: 3 - skippedIds.length,
    skippedIds,
    confirmTimeoutMs: HOUR,
  },
];

describe('the bulk delete saga', () => {
  it('goes requested -> backing_up -> awaiting_confirmation -> deleting -> done', () => {
    expect(run(request()).step).toBe('requested');
    expect(run(...backedUp().slice(0, 2)).step).toBe('backing_up');
    const waiting = run(...backedUp());
    expect(waiting.step).toBe('awaiting_confirmation');
    expect(new Date(waiting.confirmBy!).getTime()).toBeGreaterThan(Date.now() + HOUR - 60_000);
    expect(run(...backedUp(), { type: 'Confirm' }).step).toBe('deleting');
    expect(run(...backedUp(), { type: 'Confirm' }, { type: 'RecordDeleted', deletedCount: 3 })).toMatchObject(
      {
        step: 'done',
        deletedCount: 3,
      },
    );
  });

  it('deletes only what the backup holds', () => {
    expect(toDelete(run(...backedUp(['c2'])))).toEqual(['c1', 'c3']);
    expect(toDelete(run(request({ backup: false })))).toEqual(['c1', 'c2', 'c3']);
  });

  it('ends failed when the backup fails, and nothing after that deletes', () => {
    const failed = run(...backedUp().slice(0, 2), { type: 'FailBackup', error: 'S3 down' });
    expect(failed).toMatchObject({ step: 'failed', error: 'S3 down' });
    expect(() => decideOperation({ type: 'Confirm' }, failed)).toThrow(OperationStateError);
    expect(decideOperation({ type: 'RecordDeleted', deletedCount: 3 }, failed)).toEqual([]);
  });

  it('may be cancelled until it deletes, never after', () => {
    for (const steps of [[request()], backedUp().slice(0, 2), backedUp()])
      expect(run(...steps, { type: 'Cancel' }).step).toBe('cancelled');
    const deleting = run(...backedUp(), { type: 'Confirm' });
    expect(() => decideOperation({ type: 'Cancel' }, deleting)).toThrow(/deleting/);
  });

  it('expires only past its deadline, while awaiting confirmation', () => {
    const waiting = run(...backedUp());
    expect(decideOperation({ type: 'Expire', now: new Date() }, waiting)).toEqual([]);
    const later = new Date(Date.now() + 2 * HOUR);
    expect(run(...backedUp(), { type: 'Expire', now: later }).step).toBe('expired');
    expect(decideOperation({ type: 'Expire', now: later }, run(...backedUp(), { type: 'Confirm' }))).toEqual(
      [],
    );
  });

  it('records each step once: repeated commands decide nothing', () => {
    const waiting = run(...backedUp());
    expect(decideOperation(request(), waiting)).toEqual([]);
    expect(decideOperation({ type: 'StartBackup', backupId: 'backup-2' }, waiting)).toEqual([]);
    expect(decideOperation(backedUp()[2]!, waiting)).toEqual([]);
    const done = run(...backedUp(), { type: 'Confirm' }, { type: 'RecordDeleted', deletedCount: 3 });
    expect(decideOperation({ type: 'Confirm' }, done)).toEqual([]);
    expect(decideOperation({ type: 'RecordDeleted', deletedCount: 0 }, done)).toEqual([]);
  });

  it('without a backup, awaits the confirmation from the request on, or deletes at once with "now"', () => {
    expect(run(request({ backup: false })).step).toBe('awaiting_confirmation');
    expect(run(request({ backup: false, confirm: 'now' })).step).toBe('deleting');
  });
});
