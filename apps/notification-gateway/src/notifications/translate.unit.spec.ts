import { describe, expect, it } from '@jest/globals';
import { BACKUP_FAILED_MESSAGE, webhookEventOf, type BatchProgressFact } from '@batch/contracts';
import {
  nameOfCode,
  RateMeter,
  translateBackupFact,
  translateBatchError,
  translateProgress,
} from './translate.js';

const at = '2026-12-01T10:00:00.000Z';
const progress = (over: Partial<BatchProgressFact> = {}): BatchProgressFact => ({
  type: 'progress',
  batchId: 'b1',
  userId: 'u1',
  at,
  version: 7,
  status: 'running',
  pauseReason: null,
  totalItems: 100,
  completed: 40,
  failed: 10,
  pending: 50,
  ...over,
});

describe('translateProgress', () => {
  it('gives progress with percent, rate and eta, and a status message only when the status changed', () => {
    const [message, ...rest] = translateProgress(progress(), undefined, 25);
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      userId: 'u1',
      topic: 'batch:b1',
      type: 'batch.progress',
      payload: {
        processed_count: 40,
        failed_count: 10,
        pending_count: 50,
        progress_percent: 50,
        items_per_second: 25,
        eta_seconds: 2,
      },
    });
    const changed = translateProgress(
      progress({ status: 'paused', pauseReason: 'provider_auth_failed' }),
      { previous: 'running' },
      0,
    );
    expect(changed[1]).toMatchObject({
      type: 'batch.status',
      payload: { status: 'paused', previous_status: 'running', reason: 'provider_auth_failed' },
    });
    expect(changed[0]!.payload).toMatchObject({ eta_seconds: null });
  });

  it('tells an ended batch with no rate and nothing left', () => {
    const [message] = translateProgress(
      progress({ status: 'completed', completed: 90, pending: 0 }),
      undefined,
      300,
    );
    expect(message!.payload).toMatchObject({ progress_percent: 100, items_per_second: 0, eta_seconds: 0 });
  });
});

describe('translateBatchError', () => {
  const error = {
    code: 'ERR_API_RATE_LIMIT',
    category: 'rate_limited' as const,
    message: 'the provider is rate limiting requests',
    retryable: true,
  };

  it('maps rate_limited to action_required with the wait, a warning', () => {
    const draft = translateBatchError({
      type: 'rate_limited',
      batchId: 'b1',
      userId: 'u1',
      at,
      retryAfterSeconds: 12.5,
      error,
      context: { provider: 'openai', model: 'gpt-4o-mini' },
    });
    expect(draft.dedupKey).toBe('ERR_API_RATE_LIMIT:batch:b1');
    expect(draft.details).toMatchObject({
      name: 'API rate limit',
      category: 'action_required',
      severity: 'warning',
      isRecoverable: true,
      retryAfterSeconds: 12.5,
      context: { batchId: 'b1', provider: 'openai', model: 'gpt-4o-mini' },
      occurredAt: at,
    });
    expect(draft.details.userMessage).toMatch(/wait 13 s/);
  });

  it('counts every failed item of an items_failed fact', () => {
    const draft = translateBatchError({
      type: 'items_failed',
      batchId: 'b1',
      userId: 'u1',
      at,
      count: 4,
      error: {
        code: 'ERR_GEN_PARSE',
        category: 'permanent',
        message: 'bad',
        retryable: false,
        details: { reply: 'x' },
      },
      context: { itemId: 'i-1', attempt: 2 },
    });
    expect(draft.occurrences).toBe(4);
    expect(draft.details).toMatchObject({
      category: 'permanent',
      isRecoverable: false,
      response: { reply: 'x' },
      context: { itemId: 'i-1', attempt: 2 },
    });
    expect(draft.details.userMessage).toBe('4 items failed: bad.');
  });
});

describe('translateBackupFact', () => {
  it("tells a failed bulk delete's status with the seed's message, and an error", () => {
    const { notifications, errors } = translateBackupFact({
      kind: 'operation',
      id: 'op-1',
      userId: 'u1',
      at,
      status: 'failed',
      processed: 0,
      total: 3,
      message: BACKUP_FAILED_MESSAGE,
    });
    expect(notifications).toEqual([
      {
        userId: 'u1',
        topic: 'operation:op-1',
        at,
        type: 'operation.status',
        payload: { id: 'op-1', status: 'failed', processed: 0, total: 3, message: BACKUP_FAILED_MESSAGE },
      },
    ]);
    expect(errors[0]!.details).toMatchObject({
      code: 'ERR_OPERATION_FAILED',
      userMessage: BACKUP_FAILED_MESSAGE,
      context: { operationId: 'op-1' },
    });
    expect(webhookEventOf(notifications[0]!)).toBe('operation.failed');
  });

  it('tells a ready backup as backup.ready, and no error', () => {
    const { notifications, errors } = translateBackupFact({
      kind: 'backup',
      id: 'backup-1-abc',
      userId: 'u1',
      at,
      status: 'ready',
      processed: 10,
      total: 10,
    });
    expect(notifications[0]!.type).toBe('backup.ready');
    expect(errors).toEqual([]);
  });
});

describe('RateMeter', () => {
  it('measures settled items per second over its window and starts over after a requeue', () => {
    const meter = new RateMeter(10_000);
    expect(meter.add(0, 0)).toBe(0);
    expect(meter.add(1_000, 100)).toBe(100);
    expect(meter.add(2_000, 300)).toBe(150);
    expect(meter.add(20_000, 300)).toBeCloseTo(0, 5);
    expect(meter.add(21_000, 10)).toBe(0);
  });
});

describe('nameOfCode', () => {
  it('reads a code as words', () => {
    expect(nameOfCode('ERR_GEN_RETRIES_EXHAUSTED')).toBe('Generation retries exhausted');
    expect(nameOfCode('simulated_permanent')).toBe('simulated_permanent');
  });
});
