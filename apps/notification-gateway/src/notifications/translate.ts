import {
  notificationCategoryOf,
  type BackupFact,
  type BatchFact,
  type BatchProgressFact,
  type ErrorDetailsView,
  type ErrorSeverity,
  type NotificationCategory,
  type StoredNotification,
} from '@batch/contracts';

/**
 * Facts (what the services tell) to notifications (what a user's clients and webhooks receive):
 * pure, so the rules are tested without a server. The notifier adds the state these need (the
 * last status and rate of each batch) and the de-dup of errors.
 */

/** An error as the notifier stores its details and notifies it: everything but its id and de-dup count. */
export interface ErrorDraft {
  userId: string;
  topic: string;
  dedupKey: string;
  /** How many times it happened in this fact (items_failed counts many items). */
  occurrences: number;
  details: Omit<ErrorDetailsView, 'errorId' | 'occurrences'>;
}

export interface Translation {
  notifications: StoredNotification[];
  errors: ErrorDraft[];
}

const FAMILIES: Record<string, string> = {
  API: 'API',
  NET: 'Network',
  GEN: 'Generation',
  DB: 'Database',
  VAL: 'Validation',
  BACKUP: 'Backup',
  RESTORE: 'Restore',
  OPERATION: 'Delete operation',
};

/** `ERR_API_RATE_LIMIT` -> "API rate limit". */
export function nameOfCode(code: string): string {
  const [prefix, family, ...rest] = code.split('_');
  if (prefix !== 'ERR' || !family) return code;
  const words = rest.join(' ').toLowerCase();
  return [FAMILIES[family] ?? family, words].filter(Boolean).join(' ');
}

const severityOf = (category: NotificationCategory, rateLimited: boolean): ErrorSeverity =>
  rateLimited || category === 'temporary' ? 'warning' : 'error';

const sentence = (text: string) => {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

export interface BatchState {
  status?: string;
}

/** Settled items per second over the last seconds of a batch's progress, and when it will be done. */
export class RateMeter {
  private readonly samples: { atMs: number; settled: number }[] = [];

  constructor(private readonly windowMs = 10_000) {}

  /** Adds a sample and answers the rate over the window (0 until two samples span some time). */
  add(atMs: number, settled: number): number {
    // A requeue (retry failed) takes items back: the rate starts over from there.
    if (this.samples.length > 0 && settled < this.samples.at(-1)!.settled) this.samples.length = 0;
    this.samples.push({ atMs, settled });
    while (this.samples.length > 2 && atMs - this.samples[0]!.atMs > this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const spanMs = atMs - first.atMs;
    return spanMs > 0 ? ((settled - first.settled) * 1000) / spanMs : 0;
  }
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

const ENDED_BATCH = new Set(['completed', 'failed', 'cancelled', 'discarded']);

/** A batch's progress fact: a `batch.progress`, and a `batch.status` when it brings a status `change`. */
export function translateProgress(
  fact: BatchProgressFact,
  change: { previous: string | null } | undefined,
  itemsPerSecond: number,
): StoredNotification[] {
  const topic = `batch:${fact.batchId}`;
  const settled = fact.completed + fact.failed;
  const counts = {
    batch_id: fact.batchId,
    status: fact.status,
    total_items: fact.totalItems,
    processed_count: fact.completed,
    failed_count: fact.failed,
    pending_count: fact.pending,
    progress_percent: fact.totalItems > 0 ? round((settled / fact.totalItems) * 100, 2) : 0,
  };
  const rate = ENDED_BATCH.has(fact.status) ? 0 : Math.max(0, itemsPerSecond);
  const eta = fact.pending === 0 ? 0 : rate > 0 ? Math.ceil(fact.pending / rate) : null;
  const base = { userId: fact.userId, topic, at: fact.at };
  const notifications: StoredNotification[] = [
    {
      ...base,
      type: 'batch.progress',
      payload: { ...counts, items_per_second: round(rate, 1), eta_seconds: eta },
    },
  ];
  if (change)
    notifications.push({
      ...base,
      type: 'batch.status',
      payload: {
        ...counts,
        previous_status: change.previous,
        reason: fact.status === 'paused' || fact.status === 'failed' ? fact.pauseReason : null,
      },
    });
  return notifications;
}

/** A batch's error fact (rate limited, paused for the user, items failed) as an error to notify. */
export function translateBatchError(fact: Exclude<BatchFact, { type: 'progress' }>): ErrorDraft {
  const { error, context } = fact;
  const rateLimited = fact.type === 'rate_limited';
  const category = notificationCategoryOf(error.category);
  const retryAfterSeconds = rateLimited ? fact.retryAfterSeconds : undefined;
  const userMessage = (() => {
    switch (fact.type) {
      case 'rate_limited':
        return `${sentence(error.message)} Calls of this batch wait ${Math.ceil(fact.retryAfterSeconds)} s, then go on.`;
      case 'action_required':
        return `${sentence(error.message)} The batch is paused (${fact.reason}) until you act: resume it, with another key, model or budget if needed.`;
      case 'items_failed':
        return fact.count === 1
          ? `An item failed: ${error.message}.`
          : `${fact.count} items failed: ${error.message}.`;
    }
  })();
  return {
    userId: fact.userId,
    topic: `batch:${fact.batchId}`,
    dedupKey: `${error.code}:batch:${fact.batchId}`,
    occurrences: fact.type === 'items_failed' ? fact.count : 1,
    details: {
      code: error.code,
      name: nameOfCode(error.code),
      category,
      severity: severityOf(category, rateLimited),
      isRecoverable: category !== 'permanent' || error.retryable,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      userMessage,
      technicalMessage: error.message,
      context: {
        batchId: fact.batchId,
        ...(context?.itemId ? { itemId: context.itemId } : {}),
        ...(context?.provider ? { provider: context.provider } : {}),
        ...(context?.model ? { model: context.model } : {}),
        ...(context?.attempt ? { attempt: context.attempt } : {}),
      },
      ...(context?.provider || context?.model
        ? { request: { provider: context.provider, model: context.model, attempt: context.attempt } }
        : {}),
      ...(error.details ? { response: error.details } : {}),
      occurredAt: fact.at,
    },
  };
}

const FAILED = new Set(['failed', 'error']);

/** A backup's, restore's or bulk delete's fact: its progress or status, and an error when it failed. */
export function translateBackupFact(fact: BackupFact): Translation {
  const topic = `${fact.kind}:${fact.id}`;
  const payload = {
    id: fact.id,
    status: fact.status,
    processed: fact.processed,
    total: fact.total,
    ...(fact.message ? { message: fact.message } : {}),
  };
  const type =
    fact.kind === 'operation'
      ? 'operation.status'
      : fact.kind === 'restore'
        ? 'restore.progress'
        : fact.status === 'ready'
          ? 'backup.ready'
          : 'backup.progress';
  const notifications = [{ userId: fact.userId, topic, at: fact.at, type, payload } as StoredNotification];
  if (!FAILED.has(fact.status)) return { notifications, errors: [] };
  const code = `ERR_${fact.kind.toUpperCase()}_FAILED`;
  const what = { backup: 'The backup', restore: 'The restore', operation: 'The bulk delete' }[fact.kind];
  const message = fact.message ?? `${what} failed.`;
  return {
    notifications,
    errors: [
      {
        userId: fact.userId,
        topic,
        dedupKey: `${code}:${topic}`,
        occurrences: 1,
        details: {
          code,
          name: nameOfCode(code),
          category: 'permanent',
          severity: 'error',
          isRecoverable: false,
          userMessage: sentence(message),
          technicalMessage: message,
          context: { [`${fact.kind}Id`]: fact.id },
          occurredAt: fact.at,
        },
      },
    ],
  };
}
