import type { Provider } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { batchAggregate } from '@batch/batch-domain';
import type { Names } from '@batch/contracts';
import { createEventStore, createOutcomeCommitter } from '@batch/event-store';
import { NAMES, NATS, SETTINGS } from '@batch/platform';
import type { WorkerConfig } from '../config/worker.config.js';
import { WORKER_METRICS, type WorkerMetrics } from './worker-metrics.js';

/** Item outcomes, committed a few at a time per batch. */
export const OUTCOME_COMMITTER = Symbol('OUTCOME_COMMITTER');

/** The streams and each batch's work consumer are the orchestrator's: a worker only reads and appends. */
export const outcomeCommitterProvider: Provider = {
  provide: OUTCOME_COMMITTER,
  inject: [NATS, NAMES, SETTINGS, WORKER_METRICS],
  useFactory: async (nc: NatsConnection, names: Names, settings: WorkerConfig, metrics: WorkerMetrics) =>
    createOutcomeCommitter(await createEventStore(nc, { aggregate: batchAggregate(names) }), {
      maxDelayMs: settings.OUTCOME_COMMIT_MS,
      onCommit: (events) => metrics.outcomeCommit(events),
    }),
};
