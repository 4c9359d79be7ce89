import { Module } from '@nestjs/common';
import { conversationSaverProvider } from './work/conversation-saver.provider.js';
import { outcomeCommitterProvider } from './work/outcome-committer.provider.js';
import { WorkConsumerService } from './work/work-consumer.service.js';
import { workerMetricsProvider } from './work/worker-metrics.js';

@Module({
  providers: [
    conversationSaverProvider,
    outcomeCommitterProvider,
    workerMetricsProvider,
    WorkConsumerService,
  ],
})
export class AppModule {}
