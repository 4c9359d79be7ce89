import { Controller, Get, Header, Inject } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../auth/public.decorator.js';
import { ApiError } from '../http/api-error.js';
import { RUNTIME, type GatewayRuntime } from '../infrastructure/gateway-runtime.js';
import { METRICS } from './metrics.provider.js';
import type { GatewayMetrics } from './metrics.registry.js';

/** A dependency that does not answer within this is down, as far as readiness goes. */
const CHECK_TIMEOUT_MS = 1_000;

async function within(check: Promise<unknown>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'down'>(
    (resolve) => (timer = setTimeout(() => resolve('down'), CHECK_TIMEOUT_MS)),
  );
  try {
    return await Promise.race([check.then(() => 'up' as const), timeout]);
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

@Public()
@SkipThrottle()
@Controller()
export class HealthController {
  constructor(
    @Inject(RUNTIME) private readonly runtime: GatewayRuntime,
    @Inject(METRICS) private readonly metrics: GatewayMetrics,
  ) {}

  /** The process is up. */
  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  /** NATS and PostgreSQL answer: the gateway can serve requests. */
  @Get('readyz')
  async ready() {
    const { nc, ds } = this.runtime;
    const [nats, postgres] = await Promise.all([
      within(this.runtime.natsConnected() ? nc.flush() : Promise.reject(new Error('disconnected'))),
      within(ds.query('SELECT 1')),
    ]);
    const checks = { nats, postgres };
    if (nats === 'down' || postgres === 'down')
      throw new ApiError('unavailable', 'not ready: a backing service is unreachable', checks);
    return { status: 'ready', checks };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
