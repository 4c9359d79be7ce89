import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { gatewayModule } from './app.module.js';
import type { GatewayConfig } from './config/gateway.config.js';
import { openApiDocument } from './docs/openapi.document.js';
import { METRICS } from './health/metrics.provider.js';
import type { GatewayMetrics } from './health/metrics.registry.js';
import { requestMetrics } from './http/request-metrics.middleware.js';

/** The gateway's HTTP application: body limit, request metrics, the Swagger UI at /api/docs. */
export async function createGatewayApp(config: GatewayConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(gatewayModule(config), {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  app.use(requestMetrics(app.get<GatewayMetrics>(METRICS)));
  app.useBodyParser('json', { limit: config.MAX_BODY_BYTES });
  SwaggerModule.setup('api/docs', app, openApiDocument() as unknown as OpenAPIObject, {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'Batch platform API',
  });
  return app;
}
