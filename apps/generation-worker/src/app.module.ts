import { Module } from '@nestjs/common';
import { SETTINGS } from '@batch/platform';
import type { WorkerConfig } from './config/worker.config.js';
import { callLimitsProvider } from './limits/call-limits.provider.js';
import { providerRegistry, PROVIDERS } from './providers/providers.js';
import { conversationSaverProvider } from './work/conversation-saver.provider.js';
import { outcomeCommitterProvider } from './work/outcome-committer.provider.js';
import { WorkConsumerService } from './work/work-consumer.service.js';
import { workerMetricsProvider } from './work/worker-metrics.js';

@Module({
  providers: [
    // API keys are read from the environment, never from a batch or the parsed settings.
    {
      provide: PROVIDERS,
      inject: [SETTINGS],
      useFactory: (settings: WorkerConfig) => providerRegistry(process.env, settings.PROVIDER_CREDENTIALS),
    },
    callLimitsProvider,
    conversationSaverProvider,
    outcomeCommitterProvider,
    workerMetricsProvider,
    WorkConsumerService,
  ],
})
export class AppModule {}
