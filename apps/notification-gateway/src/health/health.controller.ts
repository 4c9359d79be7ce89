import { Controller, Get, Header, Inject } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { Registry } from 'prom-client';
import { METRICS, READINESS, type Readiness } from '@batch/platform';
import { Public } from '../auth/public.decorator.js';
import { ApiError } from '../http/api-error.js';

/** The platform's probes and scrape, on the gateway's own port (the other services have an ops port). */
@Public()
@SkipThrottle()
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS) private readonly readiness: Readiness,
    @Inject(METRICS) private readonly metrics: Registry,
  ) {}

  /** The process is up. */
  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  /** NATS and PostgreSQL answer: the gateway can serve requests. */
  @Get('readyz')
  async ready() {
    const { ready, checks } = await this.readiness.run();
    if (!ready) throw new ApiError('unavailable', 'not ready: a backing service is unreachable', checks);
    return { status: 'ready', checks };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.metrics();
  }
}
