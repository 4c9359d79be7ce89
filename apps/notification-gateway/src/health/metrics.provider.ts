import type { Provider } from '@nestjs/common';
import { RUNTIME, type GatewayRuntime } from '../infrastructure/gateway-runtime.js';
import { createMetrics } from './metrics.registry.js';

export const METRICS = Symbol('GATEWAY_METRICS');

export const metricsProvider: Provider = {
  provide: METRICS,
  inject: [RUNTIME],
  useFactory: (runtime: GatewayRuntime) => createMetrics(runtime.ds),
};
