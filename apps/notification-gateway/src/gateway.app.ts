import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { GatewayConfig } from './config/gateway.config.js';
import { openApiDocument } from './docs/openapi.document.js';
import { nestLogger, type Logger } from '@batch/platform';
import { GATEWAY_METRICS } from './health/metrics.provider.js';
import type { GatewayMetrics } from './health/metrics.registry.js';
import { AUTHENTICATOR } from './auth/auth.guard.js';
import type { Authenticate } from './auth/authenticator.js';
import {
  answerClientErrors,
  authenticateBeforeBody,
  carriesItems,
  isJson,
  refuseUnsupportedItemMedia,
  SMALL_BODY_BYTES,
} from './http/request-bodies.js';
import { requestMetrics } from './http/request-metrics.middleware.js';
import { serveConsole } from './http/console-files.js';

/**
 * The gateway's HTTP application: request metrics, the token checked before any body is read, item
 * lists in a content type their route takes read as bytes (parsed off the event loop), other bodies up to 1 MiB, JSON for requests Node
 * refuses itself, the Swagger UI at /api/docs.
 */
export async function createGatewayApp(
  root: DynamicModule,
  config: GatewayConfig,
  logger: Logger,
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(root, {
    bodyParser: false,
    logger: nestLogger(logger),
  });
  app.use(requestMetrics(app.get<GatewayMetrics>(GATEWAY_METRICS), logger));
  app.use(authenticateBeforeBody(app.get<Authenticate>(AUTHENTICATOR)));
  app.use(refuseUnsupportedItemMedia);
  app.useBodyParser('raw', { type: carriesItems, limit: config.MAX_BODY_BYTES });
  app.useBodyParser('json', { type: isJson, limit: SMALL_BODY_BYTES });
  answerClientErrors(app.getHttpServer());
  if (!serveConsole(app, config.CONSOLE_DIR))
    logger.info({ dir: config.CONSOLE_DIR }, 'the console is not built: `npm run build:console` makes it');
  SwaggerModule.setup('api/docs', app, openApiDocument() as unknown as OpenAPIObject, {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'Batch platform API',
  });
  return app;
}
