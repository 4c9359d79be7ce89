import type { ServiceDefinition } from '@batch/platform';
import { AppModule } from './app.module.js';
import { WorkerConfig } from './config/worker.config.js';

/** A generation worker: pulls work, generates conversations, reports outcomes. Scale by running more. */
export const worker: ServiceDefinition<WorkerConfig> = {
  name: 'generation-worker',
  settings: WorkerConfig,
  module: () => AppModule,
  defaultOpsPort: 9102,
  readyFields: (settings) => ({ concurrency: settings.WORKER_CONCURRENCY }),
};
