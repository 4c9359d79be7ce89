import 'reflect-metadata';
import { startTelemetry } from '@batch/platform/telemetry';

const telemetry = startTelemetry('backup-service');
const { runService } = await import('@batch/platform');
const { backupService } = await import('./backup.service.js');
await runService(backupService, telemetry);
