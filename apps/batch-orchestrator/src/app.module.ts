import { Module } from '@nestjs/common';
import { ScheduledCleanupService } from './cleanup/scheduled-cleanup.service.js';
import { BatchCommandsService } from './commands/batch-commands.service.js';
import { DispatcherService } from './dispatch/dispatcher.service.js';
import { storeProviders } from './infrastructure/stores.js';
import { OrchestratorMetrics } from './metrics/orchestrator-metrics.js';
import { ProjectorService } from './projections/projector.service.js';
import { BatchQueriesService } from './queries/batch-queries.service.js';
import { OrchestratorRpcService } from './rpc/orchestrator-rpc.service.js';
import { ExhaustedWorkService } from './work/exhausted-work.service.js';

@Module({
  providers: [
    ...storeProviders,
    ProjectorService,
    DispatcherService,
    BatchCommandsService,
    BatchQueriesService,
    OrchestratorRpcService,
    ExhaustedWorkService,
    OrchestratorMetrics,
    ScheduledCleanupService,
  ],
})
export class AppModule {}
