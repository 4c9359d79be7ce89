import { Module } from '@nestjs/common';
import { outcomeCommitterProvider } from './work/outcome-committer.provider.js';
import { WorkConsumerService } from './work/work-consumer.service.js';
import { workerMetricsProvider } from './work/worker-metrics.js';

@Module({ providers: [outcomeCommitterProvider, workerMetricsProvider, WorkConsumerService] })
export class AppModule {}
