import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness.js';

export interface OpsServer {
  /** The port it listens on (the one asked for, or the free port it got for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * A service's small HTTP server for probes and scrapes: `/healthz` (the process is up), `/readyz`
 * (its dependencies answer: 200 or 503 with each check), `/metrics` (Prometheus text).
 */
export async function startOpsServer(
  options: { port: number; host: string },
  readiness: Readiness,
  metrics: Registry,
): Promise<OpsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'application/json; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(405, '{"error":"method not allowed"}');
    if (path === '/healthz') return send(200, '{"status":"ok"}');
    if (path === '/readyz')
      return void readiness
        .run()
        .then(({ ready, checks }) =>
          send(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not ready', checks })),
        );
    if (path === '/metrics')
      return void metrics.metrics().then(
        (text) => send(200, text, metrics.contentType),
        (error: Error) => send(500, JSON.stringify({ error: `metrics failed: ${error.message}` })),
      );
    send(404, '{"error":"not found: /healthz, /readyz and /metrics are served here"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
