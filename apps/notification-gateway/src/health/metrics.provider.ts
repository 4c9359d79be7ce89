import type { Provider } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, METRICS } from '@batch/platform';
import { createMetrics } from './metrics.registry.js';

export const GATEWAY_METRICS = Symbol('GATEWAY_METRICS');

export const metricsProvider: Provider = {
  provide: GATEWAY_METRICS,
  inject: [METRICS, DATA_SOURCE],
  useFactory: (registry: Registry, ds: DataSource) => createMetrics(registry, ds),
};
