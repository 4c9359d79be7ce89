import type { ServiceDefinition } from '@batch/platform';
import { AppModule } from './app.module.js';
import { OrchestratorConfig } from './config/orchestrator.config.js';

/** The batch orchestrator: no public HTTP; answers commands and queries over NATS, dispatches work. */
export const orchestrator: ServiceDefinition<OrchestratorConfig> = {
  name: 'batch-orchestrator',
  settings: OrchestratorConfig,
  module: () => AppModule,
  defaultOpsPort: 9101,
  readyFields: (settings) => ({ replica: settings.ORCHESTRATOR_REPLICA_ID }),
};
