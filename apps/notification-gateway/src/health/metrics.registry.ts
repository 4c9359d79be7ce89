import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { batchCountsByStatus, countSetAside, itemsSettledTotal } from '@batch/persistence';

export interface GatewayMetrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

/**
 * Prometheus metrics: the gateway's requests and latencies, and — read from the batches read model
 * at each scrape — batches by status and items settled (rate() of it is items/s; the gauge
 * `batch_items_settled_per_second` is that rate between the last two scrapes), and the commits a
 * projection set aside (an operator looks at `projection_set_aside` when it is above 0).
 */
export function createMetrics(registry: Registry, ds: DataSource): GatewayMetrics {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'batches',
    help: 'Batches in the read model, by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await batchCountsByStatus(ds);
      this.reset();
      for (const [status, count] of counts) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'projection_commits_set_aside',
    help: 'Commits of the event log a projection could not apply and set aside (table projection_set_aside)',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      const counts = await countSetAside(ds);
      this.reset();
      this.set({ projection: 'batches' }, counts.get('batches') ?? 0);
      for (const [projection, count] of counts) this.set({ projection }, count);
    },
  });
  let previous: { settled: number; at: number } | undefined;
  let perSecond = 0;
  new Gauge({
    name: 'batch_items_settled',
    help: 'Items completed or failed, over all batches in the read model',
    registers: [registry],
    async collect() {
      const settled = await itemsSettledTotal(ds);
      const at = Date.now();
      if (previous && at > previous.at)
        perSecond = Math.max(0, (settled - previous.settled) / ((at - previous.at) / 1000));
      previous = { settled, at };
      this.set(settled);
    },
  });
  new Gauge({
    name: 'batch_items_settled_per_second',
    help: 'Items settled per second between the last two scrapes',
    registers: [registry],
    collect() {
      this.set(perSecond);
    },
  });
  return {
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      latency.observe({ method, route }, seconds);
    },
  };
}
