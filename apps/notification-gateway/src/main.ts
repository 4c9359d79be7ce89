import 'reflect-metadata';
import { startTelemetry } from '@batch/platform/telemetry';

/** The notification gateway: the public REST API over the services' NATS API. */
const telemetry = startTelemetry('notification-gateway');
const { runService } = await import('@batch/platform');
const { gateway } = await import('./gateway.service.js');
await runService(gateway, telemetry);
