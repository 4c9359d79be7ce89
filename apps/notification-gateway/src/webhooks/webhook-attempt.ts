import type { JsMsg } from '@nats-io/jetstream';
import type { WebhookDeliveryOutcome } from '@batch/contracts';
import type { Logger } from '@batch/platform';
import { afterFailure, type RetryPolicy } from './retry-schedule.js';
import { DeliveryMessage } from './webhook-delivery.js';
import { postSigned, type PostResult } from './webhook-request.js';
import { endpointSecret } from './webhook-secrets.js';
import type { WebhookStore } from './webhook-store.js';

export interface AttemptDeps {
  store: WebhookStore;
  logger: Logger;
  signingKey: Buffer;
  retry: RetryPolicy;
  timeoutMs: number;
  allowPrivate: boolean;
}

type Verdict = { outcome: 'delivered' } | { outcome: 'retrying'; retryInMs: number } | { outcome: 'gave_up' };

function verdictOf(result: PostResult, attempt: number, firstAttemptAt: number, retry: RetryPolicy): Verdict {
  if (result.kind === 'answered' && result.statusCode >= 200 && result.statusCode < 300)
    return { outcome: 'delivered' };
  if (result.kind === 'refused') return { outcome: 'gave_up' };
  const next = afterFailure(attempt, firstAttemptAt, Date.now(), retry);
  return 'giveUp' in next ? { outcome: 'gave_up' } : { outcome: 'retrying', retryInMs: next.retryInMs };
}

/**
 * One attempt of one delivery, recorded before the message is settled: a 2xx is acked (delivered);
 * a failure is handed back with the schedule's delay (retrying) until the next attempt would fall
 * past the retry period, or at once when the host resolves to a refused address, and then it is
 * terminated (gave_up). A delivery whose endpoint is gone is terminated without an attempt.
 * (`term()` without a reason: NATS 2.9 does not know `+TERM <reason>` and would deliver it again.)
 */
export async function attemptDelivery(message: JsMsg, deps: AttemptDeps): Promise<void> {
  const { store, logger, signingKey, retry } = deps;
  const parsed = DeliveryMessage.safeParse(safeJson(message));
  if (!parsed.success) {
    logger.error({ seq: message.seq }, 'a webhook delivery that is not one was dropped');
    return message.term();
  }
  const delivery = parsed.data;
  const target = await store.target(delivery.endpointId);
  if (!target) return message.term();
  const history = await store.history(delivery.deliveryId);
  const attempt = history.attempts + 1;
  const attemptedAt = new Date();
  const result = await postSigned({
    url: target.url,
    deliveryId: delivery.deliveryId,
    body: delivery.body,
    secret: endpointSecret(signingKey, delivery.endpointId),
    timeoutMs: deps.timeoutMs,
    allowPrivate: deps.allowPrivate,
  });
  const verdict = verdictOf(result, attempt, (history.firstAttemptAt ?? attemptedAt).getTime(), retry);
  const recorded = await store.record({
    endpointId: delivery.endpointId,
    deliveryId: delivery.deliveryId,
    notificationSeq: delivery.notificationSeq,
    event: delivery.event,
    attempt,
    statusCode: result.kind === 'answered' ? result.statusCode : null,
    error: result.kind === 'answered' ? null : result.error,
    durationMs: result.durationMs,
    attemptedAt,
    outcome: verdict.outcome satisfies WebhookDeliveryOutcome,
  });
  if (!recorded) return message.term();
  const about = { endpointId: delivery.endpointId, deliveryId: delivery.deliveryId, attempt };
  switch (verdict.outcome) {
    case 'delivered':
      return message.ack();
    case 'retrying':
      return message.nak(verdict.retryInMs);
    case 'gave_up':
      logger.warn(
        { ...about, reason: result.kind === 'answered' ? `HTTP ${result.statusCode}` : result.error },
        'webhook delivery given up',
      );
      return message.term();
    default: {
      const unhandled: never = verdict;
      throw new Error(`unhandled verdict ${JSON.stringify(unhandled)}`);
    }
  }
}

function safeJson(message: JsMsg): unknown {
  try {
    return message.json();
  } catch {
    return undefined;
  }
}
