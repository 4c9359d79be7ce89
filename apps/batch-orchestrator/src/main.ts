import 'reflect-metadata';
import { startTelemetry } from '@batch/platform/telemetry';

const telemetry = startTelemetry('batch-orchestrator');
const { runService } = await import('@batch/platform');
const { orchestrator } = await import('./orchestrator.service.js');
await runService(orchestrator, telemetry);
