import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createBatchProjector } from '@batch/persistence';
import { RUNTIME, type OrchestratorRuntime } from '../infrastructure/runtime.js';

/** Keeps the Postgres read models (batches, batch_items) up with the event log. */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly projector;

  constructor(@Inject(RUNTIME) runtime: OrchestratorRuntime) {
    this.projector = createBatchProjector({ ds: runtime.ds, nc: runtime.nc, names: runtime.names });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.projector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.projector.stop();
  }
}
