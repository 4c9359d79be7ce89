import { Module } from '@nestjs/common';
import { BatchCommandsService } from './commands/batch-commands.service.js';
import { OrchestratorConfig } from './config/orchestrator.config.js';
import { DispatcherService } from './dispatch/dispatcher.service.js';
import { openRuntime, RUNTIME, type OrchestratorRuntime } from './infrastructure/runtime.js';
import { ProjectorService } from './projections/projector.service.js';
import { BatchQueriesService } from './queries/batch-queries.service.js';
import { OrchestratorRpcService } from './rpc/orchestrator-rpc.service.js';
import { ExhaustedWorkService } from './work/exhausted-work.service.js';

@Module({
  providers: [
    {
      provide: RUNTIME,
      useFactory: (): Promise<OrchestratorRuntime> => openRuntime(OrchestratorConfig.parse(process.env)),
    },
    ProjectorService,
    DispatcherService,
    BatchCommandsService,
    BatchQueriesService,
    OrchestratorRpcService,
    ExhaustedWorkService,
  ],
})
export class AppModule {}
