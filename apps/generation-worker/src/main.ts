import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { RUNTIME, type WorkerRuntime } from './infrastructure/runtime.js';

/** A generation worker: pulls work, generates conversations, reports outcomes. Scale by running more. */
const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
const runtime = app.get<WorkerRuntime>(RUNTIME);
runtime.logger.info(
  { nats: runtime.config.NATS_URL, concurrency: runtime.config.WORKER_CONCURRENCY },
  'generation-worker ready',
);
const shutdown = () => void app.close().then(() => runtime.close());
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
