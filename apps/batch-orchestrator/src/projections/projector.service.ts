import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createBatchProjector } from '@batch/persistence';
import { RUNTIME, type OrchestratorRuntime } from '../infrastructure/runtime.js';

/** Keeps the Postgres read models (batches, batch_items) up with the event log. */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly projector;

  constructor(@Inject(RUNTIME) private readonly runtime: OrchestratorRuntime) {
    this.projector = createBatchProjector({
      ds: runtime.ds,
      nc: runtime.nc,
      names: runtime.names,
      onError: (error) =>
        runtime.logger.warn({ err: error }, 'projection failed; retrying from its checkpoint'),
    });
  }

  /**
   * Resolves once the read models hold every event stored when this was called, or after
   * `atMostMs` (reads then answer with what the projection has).
   */
  async caughtUpWithLog(atMostMs: number): Promise<void> {
    const { jsm, names } = this.runtime;
    const { state } = await jsm.streams.info(names.eventsStream);
    // Bounded: the stream's last sequence may name a message that was purged (cleanup) and never comes.
    const timer = new AbortController();
    await Promise.race([
      this.projector.caughtUp(state.last_seq),
      sleep(atMostMs, undefined, { signal: timer.signal }),
    ]).finally(() => timer.abort());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.projector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.projector.stop();
  }
}
