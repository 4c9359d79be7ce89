import { Module } from '@nestjs/common';
import { WorkerConfig } from './config/worker.config.js';
import { openRuntime, RUNTIME, type WorkerRuntime } from './infrastructure/runtime.js';
import { WorkConsumerService } from './work/work-consumer.service.js';

@Module({
  providers: [
    {
      provide: RUNTIME,
      useFactory: (): Promise<WorkerRuntime> => openRuntime(WorkerConfig.parse(process.env)),
    },
    WorkConsumerService,
  ],
})
export class AppModule {}
