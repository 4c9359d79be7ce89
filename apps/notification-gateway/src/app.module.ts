import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthGuard, AUTHENTICATOR } from './auth/auth.guard.js';
import { createAuthenticator } from './auth/authenticator.js';
import { UserThrottlerGuard } from './auth/user-throttler.guard.js';
import { BackupClient } from './backups/backup.client.js';
import { BackupDownloads } from './backups/backup-downloads.js';
import { BackupRestores } from './backups/backup-restores.js';
import { downloadTicketsProvider } from './backups/download-tickets.js';
import { BatchesService } from './batches/batches.service.js';
import { ReadYourWrites } from './batches/read-your-writes.js';
import { ResultsStreamer } from './batches/results.streamer.js';
import type { GatewayConfig } from './config/gateway.config.js';
import { CONTROLLERS } from './docs/served-routes.js';
import { metricsProvider } from './health/metrics.provider.js';
import { ApiExceptionFilter } from './http/api-exception.filter.js';
import { ItemBodiesService } from './item-bodies/item-bodies.service.js';
import { ErrorReports } from './notifications/error-reports.js';
import { NotificationFeed } from './notifications/notification-feed.js';
import { NotificationSockets } from './notifications/notification-sockets.js';
import { notificationStreamsProvider } from './notifications/notification-streams.js';
import { Notifier } from './notifications/notifier.service.js';
import { TopicOwners } from './notifications/topic-owners.js';
import { OrchestratorClient } from './orchestrator/orchestrator.client.js';
import { webhookSigningProvider } from './webhooks/webhook-secrets.js';
import { WebhookWorkers } from './webhooks/webhook-workers.service.js';
import { WebhooksService } from './webhooks/webhooks.service.js';

/** The gateway's features for its settings (parsed once at start); the platform's ports come from the shell. */
export function gatewayModule(config: GatewayConfig) {
  @Module({
    imports: [
      ThrottlerModule.forRoot([{ ttl: config.RATE_LIMIT_WINDOW_MS, limit: config.RATE_LIMIT_REQUESTS }]),
    ],
    controllers: CONTROLLERS,
    providers: [
      { provide: AUTHENTICATOR, useFactory: () => createAuthenticator(config) },
      metricsProvider,
      OrchestratorClient,
      BackupClient,
      BackupDownloads,
      BackupRestores,
      downloadTicketsProvider,
      BatchesService,
      ReadYourWrites,
      ItemBodiesService,
      ResultsStreamer,
      notificationStreamsProvider,
      ErrorReports,
      Notifier,
      NotificationFeed,
      TopicOwners,
      NotificationSockets,
      webhookSigningProvider(config),
      WebhooksService,
      WebhookWorkers,
      // Guards run in this order: who is asking, then how often they ask.
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_GUARD, useClass: UserThrottlerGuard },
      { provide: APP_FILTER, useClass: ApiExceptionFilter },
    ],
  })
  class GatewayModule {}
  return GatewayModule;
}
