import 'reflect-metadata';
import { startTelemetry } from '@batch/platform/telemetry';

const telemetry = startTelemetry('generation-worker');
const { runService } = await import('@batch/platform');
const { worker } = await import('./worker.service.js');
await runService(worker, telemetry);
