import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { itemCompleted, itemFailed } from '@batch/batch-domain';
import {
  costOf,
  pauseReasonOf,
  type ErrorShape,
  type ItemOutcome,
  type PriceTable,
  type ProviderName,
} from '@batch/contracts';
import type { WorkItemSpec, WorkMessage } from '@batch/messaging';
import { commandMetadata } from '@batch/platform';
import { findConversationIds, type ConversationInput, type ConversationSaver } from '@batch/persistence';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Permit } from '../limits/shared-limiter.js';
import { isProviderError, type Generated, type Provider, type ProviderError } from '../providers/provider.js';
import { nextStep, type RetryPolicy } from './retry-policy.js';
import type { WorkerMetrics } from './worker-metrics.js';

type ItemResult =
  /** Its conversation is stored: generated now, or by an earlier delivery of the message. */
  | {
      item: WorkItemSpec;
      kind: 'done';
      conversationId: string;
      durationMs: number;
      /** The call that answered, when it was made now (not by an earlier delivery). */
      answered?: Pick<Generated, 'usage' | 'model'> & { latencyMs: number; costUsd?: number };
    }
  | { item: WorkItemSpec; kind: 'failed'; error: ErrorShape }
  /**
   * Not started, and left alone: the orchestrator took the message back (pause, cancel), or this
   * worker is stopping or cut off from NATS. No outcome: the item stays pending.
   */
  | { item: WorkItemSpec; kind: 'withdrawn' };

/** What is stored for an item's reply: its turns, and the whole conversation as text. */
const conversationOf = (work: WorkMessage, item: WorkItemSpec, generated: Generated): ConversationInput => ({
  id: randomUUID(),
  batchId: work.batchId,
  itemId: item.id,
  userId: work.userId,
  topic: item.topic,
  persona: generated.persona,
  content: generated.turns.map((turn) => `${turn.role}: ${turn.content}`).join('\n'),
  createdAt: new Date(),
  turns: generated.turns.map((turn, sequence) => ({
    id: randomUUID(),
    role: turn.role,
    content: turn.content,
    sequence: sequence + 1,
  })),
  ...(generated.usage ? { usage: generated.usage } : {}),
  ...(generated.finishReason ? { finishReason: generated.finishReason } : {}),
});

export interface Processed {
  outcomes: ItemOutcome[];
  /** Items left alone: the message must be delivered again (if it is still queued) for them. */
  withdrawn: number;
}

export interface ProcessorDeps {
  ds: DataSource;
  /** Stores each reply as it arrives (a crash then loses only the calls in flight). */
  saver: ConversationSaver;
  providers: Record<ProviderName, Provider>;
  logger: Logger;
  run: <T>(task: () => Promise<T>) => Promise<T>;
  retry: RetryPolicy;
  metrics: WorkerMetrics;
  providerCallLog?: string;
  /** Prices each answered call's tokens (its `costUsd`); a model without a price has no cost. */
  prices: PriceTable;
  /**
   * Whether the next item (or retry) may start, waiting while its batch holds it back; when not,
   * the items not started are left alone.
   */
  mayStart: () => Promise<boolean>;
  /** The same, answered at once (false while held back): checked again once in a slot. */
  canStartNow: () => Promise<boolean>;
  /**
   * Waits until the item's call is within the rate limits every worker shares, and reserves it;
   * undefined when the item may not start meanwhile (see canStartNow).
   */
  limit: (item: WorkItemSpec) => Promise<Permit | undefined>;
  /** Commits an item's outcome to its batch's log. */
  report: (outcome: ItemOutcome) => Promise<void>;
  /** A call was refused with 429: the wait is published for the user (once per wait and batch). */
  rateLimited: (error: ProviderError) => void;
  /**
   * A call failed in a way that is the batch's, not the item's (a refused key, an empty balance,
   * an unknown model): pause the batch for this reason (`provider_auth_failed`...), and tell the user why. The item is not failed: it waits, held
   * back like every item of a paused batch, and goes on (or is dropped) as the batch's next
   * decision says.
   */
  pauseBatch: (pause: string, error: ProviderError) => Promise<void>;
}

/**
 * One work message: items whose conversation already exists are reported without calling the
 * provider again (a redelivery after a crash); the others are generated, retried in place with
 * backoff while their failure is retryable, each stored as soon as its reply arrives, and reported.
 */
export async function processWork(work: WorkMessage, deps: ProcessorDeps): Promise<Processed> {
  const existing = await findConversationIds(
    deps.ds,
    work.batchId,
    work.items.map((item) => item.id),
  );
  const provider = deps.providers[work.config.provider];

  type Call =
    | { item: WorkItemSpec; kind: 'generated'; generated: Generated; latencyMs: number }
    | { item: WorkItemSpec; kind: 'failed'; error: ErrorShape }
    | { kind: 'retry'; delayMs: number }
    | { kind: 'pause'; pause: string; error: ProviderError };

  const budgetError = (error: unknown) =>
    deps.logger.warn({ err: error, batchId: work.batchId }, 'updating the shared rate-limit budget failed');

  /** One call of the provider, in a slot. */
  async function call(item: WorkItemSpec, retry: number, permit: Permit): Promise<Call> {
    // The call is on record before anything says it began.
    if (deps.providerCallLog)
      appendFileSync(deps.providerCallLog, `${work.batchId} ${item.id} ${process.pid} ${Date.now()}\n`);
    deps.logger.debug({ batchId: work.batchId, itemId: item.id, attempt: item.attempt, retry }, 'generating');
    const callStarted = performance.now();
    const took = () => (performance.now() - callStarted) / 1000;
    try {
      const generated = await provider.generate(item, work.config);
      const seconds = took();
      deps.metrics.providerCall(work.config.provider, seconds);
      void permit.answered(generated).catch(budgetError);
      return { item, kind: 'generated', generated, latencyMs: Math.round(seconds * 1000) };
    } catch (error) {
      deps.metrics.providerCall(work.config.provider, took(), error);
      if (
        isProviderError(error) &&
        error.category === 'rate_limited' &&
        error.retryAfterSeconds !== undefined
      ) {
        void permit.rateLimited(error.retryAfterSeconds).catch(budgetError);
        deps.rateLimited(error);
      }
      const pauses = isProviderError(error) ? pauseReasonOf(error.code) : undefined;
      if (pauses) return { kind: 'pause', pause: pauses, error: error as ProviderError };
      const next = nextStep(deps.retry, retry, error);
      return next.retry
        ? { kind: 'retry', delayMs: next.delayMs }
        : { item, kind: 'failed', error: next.error };
    }
  }

  /**
   * Calls and retries the provider for an item. Waiting (held back while paused, or for a retry's
   * delay) happens outside the slots, so it never keeps other batches' work from running.
   */
  async function generate(item: WorkItemSpec): Promise<ItemResult> {
    const started = performance.now();
    for (let retry = 0; ;) {
      if (!(await deps.mayStart())) return { item, kind: 'withdrawn' };
      const permit = await deps.limit(item);
      if (!permit) continue;
      const called = await deps.run(async () =>
        (await deps.canStartNow()) ? call(item, retry, permit) : undefined,
      );
      if (called === undefined) continue;
      if (called.kind === 'failed') return called;
      if (called.kind === 'pause') {
        await deps.pauseBatch(called.pause, called.error);
        continue;
      }
      if (called.kind === 'generated') {
        const { conversationId } = await deps.saver.save(conversationOf(work, item, called.generated));
        const { usage, model } = called.generated;
        const costUsd = usage && model ? costOf(deps.prices, model, usage) : undefined;
        return {
          item,
          kind: 'done',
          conversationId,
          durationMs: Math.round(performance.now() - started),
          answered: {
            latencyMs: called.latencyMs,
            ...(model ? { model } : {}),
            ...(usage ? { usage } : {}),
            ...(costUsd === undefined ? {} : { costUsd }),
          },
        };
      }
      retry++;
      await sleep(called.delayMs);
    }
  }

  const metadata = commandMetadata();
  const outcomeOf = (result: Exclude<ItemResult, { kind: 'withdrawn' }>): ItemOutcome => {
    const { item } = result;
    if (result.kind === 'failed')
      return itemFailed(
        work.batchId,
        { itemId: item.id, attempt: item.attempt, error: result.error },
        metadata,
      );
    return itemCompleted(
      work.batchId,
      {
        itemId: item.id,
        conversationId: result.conversationId,
        attempt: item.attempt,
        durationMs: result.durationMs,
        ...result.answered,
      },
      metadata,
    );
  };

  // Each outcome is reported as its item settles, not when the whole message is done: progress and
  // spend (the budget) show while the message's slower items still run.
  const outcomes = await Promise.all(
    work.items.map(async (item): Promise<ItemOutcome | undefined> => {
      const known = existing.get(item.id);
      const result: ItemResult = known
        ? { item, kind: 'done', conversationId: known, durationMs: 0 }
        : await generate(item);
      if (result.kind === 'withdrawn') return undefined;
      const outcome = outcomeOf(result);
      await deps.report(outcome);
      return outcome;
    }),
  );
  const settled = outcomes.filter((outcome): outcome is ItemOutcome => outcome !== undefined);
  return { outcomes: settled, withdrawn: outcomes.length - settled.length };
}
