import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '@batch/platform';
import type { GatewayMetrics } from '../health/metrics.registry.js';

/**
 * Counts and times every answered request by its route pattern (never by raw path: ids are
 * unbounded), and logs it at debug level (with its trace id when tracing is on).
 */
export const requestMetrics =
  (metrics: GatewayMetrics, logger: Logger) =>
  (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const route = request.route ? `${request.baseUrl}${String(request.route.path)}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(request.method, route, response.statusCode, seconds);
      logger.debug({ method: request.method, route, status: response.statusCode, seconds }, 'request');
    });
    next();
  };
