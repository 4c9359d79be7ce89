import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { RUNTIME, type OrchestratorRuntime } from './infrastructure/runtime.js';

/** The batch orchestrator: no HTTP, answers commands and queries over NATS, dispatches work. */
const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
const runtime = app.get<OrchestratorRuntime>(RUNTIME);
runtime.logger.info(
  { nats: runtime.config.NATS_URL, namespace: runtime.names.eventsStream },
  'batch-orchestrator ready',
);
process.once('SIGTERM', () => void app.close().then(() => runtime.close()));
process.once('SIGINT', () => void app.close().then(() => runtime.close()));
