import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import type { Names } from '@batch/contracts';
import { announceProjected, lastSequenceOf } from '@batch/messaging';
import { createBatchProjector } from '@batch/persistence';
import {
  DATA_SOURCE,
  JETSTREAM,
  JETSTREAM_MANAGER,
  LOGGER,
  NAMES,
  NATS,
  SETTINGS,
  type Logger,
} from '@batch/platform';
import type { OrchestratorConfig } from '../config/orchestrator.config.js';
import { ProgressReporter } from './progress-reporter.js';

/** Keeps the Postgres read models (batches, batch_items) up with the event log, and reports progress from them. */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly projector;
  private readonly reporter: ProgressReporter;
  /** The events stream's last sequence, reads arriving together sharing one lookup. */
  private readonly lastSeq: () => Promise<number>;
  /** The stream sequence the read models hold everything up to. */
  private appliedSeq = 0;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(JETSTREAM_MANAGER) jsm: JetStreamManager,
    @Inject(JETSTREAM) js: JetStreamClient,
    @Inject(SETTINGS) settings: OrchestratorConfig,
    @Inject(NAMES) private readonly names: Names,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.reporter = new ProgressReporter(ds, js, names, logger, settings.PROGRESS_FACT_INTERVAL_MS);
    this.lastSeq = lastSequenceOf(jsm, names.eventsStream);
    this.projector = createBatchProjector({
      ds: this.ds,
      nc: this.nc,
      names: this.names,
      onApplied: (applied) => {
        this.appliedSeq = applied.seq;
        announceProjected(this.nc, this.names, applied.seq);
        this.reporter.note(applied);
      },
      onError: (error) => this.logger.warn({ err: error }, 'projection failed; retrying from its checkpoint'),
      onRefused: ({ kind, seq, subject, reason }) =>
        kind === 'set-aside'
          ? this.logger.error(
              { seq, subject, reason },
              'projection set a commit aside (table projection_set_aside); the log goes on',
            )
          : this.logger.warn(
              { seq, subject, reason },
              'projection stored a commit with refused text replaced',
            ),
    });
  }

  /**
   * Resolves once the read models hold every event stored when this was called, or after
   * `atMostMs` (reads then answer with what the projection has).
   */
  async caughtUpWithLog(atMostMs: number): Promise<void> {
    const lastSeq = await this.lastSeq();
    // Bounded: the stream's last sequence may name a message that was purged (cleanup) and never comes.
    const timer = new AbortController();
    await Promise.race([
      this.projector.caughtUp(lastSeq),
      sleep(atMostMs, undefined, { signal: timer.signal }),
    ]).finally(() => timer.abort());
  }

  /** Commits stored in the log and not yet in the read models. */
  async lag(): Promise<number> {
    return Math.max(0, (await this.lastSeq()) - this.appliedSeq);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.projector.start();
    await this.reporter.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.projector.stop();
    await this.reporter.stop();
  }
}
