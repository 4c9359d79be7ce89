import type { Provider } from '@nestjs/common';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ItemOutcome } from '@batch/contracts';
import { METRICS } from '@batch/platform';
import { isProviderError } from '../providers/provider.js';

/** What a worker counts, on the service's registry (scraped at its ops port's /metrics). */
export interface WorkerMetrics {
  /** One provider call ended: its latency, and how (a 429 is `rate_limited`). */
  providerCall(provider: string, seconds: number, error?: unknown): void;
  /** Outcomes reported: items settled (completed or failed) per second is rate() of this. */
  settled(status: 'completed' | 'failed', count: number): void;
  /** An outcome commit was sent with this many events. */
  outcomeCommit(events: number): void;
  /** Outcomes reported: the tokens and estimated cost of the calls that completed items, by provider and model. */
  spent(provider: string, outcomes: readonly ItemOutcome[]): void;
}

export const WORKER_METRICS = Symbol('WORKER_METRICS');

export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const calls = new Histogram({
    name: 'provider_call_duration_seconds',
    help: 'Provider call latency, by provider and result (ok, rate_limited, temporary, permanent)',
    labelNames: ['provider', 'result'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'provider_rate_limited_total',
    help: 'Provider calls answered 429 (rate limited), by provider',
    labelNames: ['provider'],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'items_settled_total',
    help: 'Item outcomes this worker reported, by status (completed, failed)',
    labelNames: ['status'],
    registers: [registry],
  });
  const commits = new Histogram({
    name: 'outcome_commit_events',
    help: 'Item outcomes per commit to the event log (outcomes of one batch are grouped)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'provider_tokens_total',
    help: 'Tokens of the provider calls that completed items, by provider, model and kind (prompt, completion)',
    labelNames: ['provider', 'model', 'kind'],
    registers: [registry],
  });
  const cost = new Counter({
    name: 'provider_cost_usd_total',
    help: "Estimated cost in US dollars of the provider calls that completed items (the models' list prices), by provider and model",
    labelNames: ['provider', 'model'],
    registers: [registry],
  });
  return {
    outcomeCommit: (events) => commits.observe(events),
    spent(provider, reported) {
      for (const outcome of reported) {
        if (outcome.type !== 'ItemCompleted' || !outcome.data.usage) continue;
        const { usage, model = 'unknown', costUsd } = outcome.data;
        tokens.inc({ provider, model, kind: 'prompt' }, usage.promptTokens);
        tokens.inc({ provider, model, kind: 'completion' }, usage.completionTokens);
        if (costUsd !== undefined) cost.inc({ provider, model }, costUsd);
      }
    },
    providerCall(provider, seconds, error) {
      const result = error === undefined ? 'ok' : isProviderError(error) ? error.category : 'temporary';
      calls.observe({ provider, result }, seconds);
      if (result === 'rate_limited') rateLimited.inc({ provider });
    },
    settled: (status, count) => outcomes.inc({ status }, count),
  };
}

export const workerMetricsProvider: Provider = {
  provide: WORKER_METRICS,
  inject: [METRICS],
  useFactory: createWorkerMetrics,
};
