import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { z } from 'zod';
import { createLogger, type Logger } from './logger.js';
import { nestLogger } from './nest-logger.js';
import { startOpsServer, type OpsServer } from './ops-server.js';
import { openPlatform, type Platform } from './platform.js';
import { parseSettings, SettingsError, type BaseSettings } from './settings.js';
import type { Telemetry } from './telemetry.js';

/** What makes one service: its name, settings and root module; the platform does the rest. */
export interface ServiceDefinition<S extends BaseSettings> {
  name: string;
  /** `baseSettings.extend({...})`: the base keys and the service's own. */
  settings: z.ZodType<S>;
  /** The service's feature modules; they inject the platform's ports (tokens.ts). */
  module: (settings: S) => Type | DynamicModule;
  /** The ops server's port when OPS_PORT is unset; undefined: none (an HTTP service serves the probes itself). */
  defaultOpsPort?: number;
  /**
   * An HTTP service builds its application from the root module and listens (the gateway); the
   * others are application contexts with no HTTP but the ops server.
   */
  listen?: (root: DynamicModule, platform: Platform<S>) => Promise<INestApplicationContext>;
  /** Fields of the `<name> ready` line. */
  readyFields?: (settings: S) => Record<string, unknown>;
}

@Module({})
class ServiceRoot {}

/**
 * Runs a service: settings parsed once (a bad one stops it, named, exit 2), the platform opened,
 * the Nest application started, the ops server (/healthz, /readyz, /metrics) listening, and one
 * `<name> ready` line. SIGTERM or SIGINT: not ready at once, then the application closes (its
 * shutdown hooks stop pulling and finish or hand back their work), then the connections, then the
 * exporter; exit 0, or 1 when that takes longer than SHUTDOWN_GRACE_MS.
 */
export async function runService<S extends BaseSettings>(
  definition: ServiceDefinition<S>,
  telemetry?: Telemetry,
): Promise<void> {
  const { name } = definition;
  let settings: S;
  try {
    settings = parseSettings(definition.settings, process.env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    for (const problem of error.problems) console.error(`${name}: ${problem}`);
    process.exit(2);
  }
  const logger = createLogger(name, settings.LOG_LEVEL);
  const fail = (message: string, error?: unknown): never => {
    logger.fatal({ err: error }, message);
    logger.flush();
    process.exit(1);
  };
  const platform = await openPlatform(name, settings, logger).catch((error: unknown) =>
    fail(`cannot connect: ${(error as Error).message}`, error),
  );
  const root: DynamicModule = {
    module: ServiceRoot,
    imports: [platform.module, definition.module(settings)],
  };
  const app = await (
    definition.listen
      ? definition.listen(root, platform)
      : NestFactory.createApplicationContext(root, { logger: nestLogger(logger) })
  ).catch((error: unknown) => fail((error as Error).message, error));
  const opsPort = settings.OPS_PORT ?? definition.defaultOpsPort;
  let ops: OpsServer | undefined;
  if (opsPort !== undefined)
    ops = await startOpsServer(
      { port: opsPort, host: settings.OPS_HOST },
      platform.readiness,
      platform.metrics,
    ).catch((error: unknown) =>
      fail(
        (error as { code?: string }).code === 'EADDRINUSE'
          ? `OPS_PORT ${opsPort} is in use: set OPS_PORT to a free port (0 picks one)`
          : `cannot serve /healthz on ${settings.OPS_HOST}:${opsPort}: ${(error as Error).message}`,
        error,
      ),
    );
  logger.info(
    { nats: settings.NATS_URL, ...(ops ? { opsPort: ops.port } : {}), ...definition.readyFields?.(settings) },
    `${name} ready`,
  );
  onStopSignal(logger, settings.SHUTDOWN_GRACE_MS, async () => {
    platform.readiness.drain();
    await app.close();
    await ops?.close();
    await platform.close();
    await telemetry?.shutdown();
  });
}

function onStopSignal(logger: Logger, graceMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs }, 'stopping');
    const deadline = setTimeout(() => {
      logger.error(
        { graceMs },
        'shutdown took longer than SHUTDOWN_GRACE_MS; exiting, unfinished work is redelivered',
      );
      logger.flush();
      process.exit(1);
    }, graceMs);
    deadline.unref();
    stop().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
