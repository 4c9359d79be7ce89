import { afterEach, describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { startOpsServer, type OpsServer } from './ops-server.js';
import { createReadiness } from './readiness.js';

let server: OpsServer | undefined;
afterEach(() => server?.close());

async function get(path: string) {
  const response = await fetch(`http://127.0.0.1:${server!.port}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('the ops server', () => {
  it('answers /healthz, /readyz with each check, and /metrics as Prometheus text', async () => {
    const registry = new Registry();
    new Counter({ name: 'items_settled_total', help: 'items', registers: [registry] }).inc(3);
    const readiness = createReadiness([{ name: 'nats', check: async () => undefined }]);
    server = await startOpsServer({ port: 0, host: '127.0.0.1' }, readiness, registry);

    expect(await get('/healthz')).toMatchObject({ status: 200, text: '{"status":"ok"}' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: 'ready', checks: { nats: 'up' } });
    const metrics = await get('/metrics');
    expect(metrics.type).toContain('text/plain');
    expect(metrics.text).toContain('items_settled_total 3');
    expect((await get('/other')).status).toBe(404);
  });

  it('is not ready while a dependency fails or hangs, nor once it drains', async () => {
    const readiness = createReadiness([
      { name: 'nats', check: async () => undefined },
      { name: 'postgres', check: () => Promise.reject(new Error('ECONNREFUSED')) },
    ]);
    server = await startOpsServer({ port: 0, host: '127.0.0.1' }, readiness, new Registry());
    const failing = await get('/readyz');
    expect(failing.status).toBe(503);
    expect(JSON.parse(failing.text).checks).toEqual({ nats: 'up', postgres: 'down' });

    const hanging = createReadiness([{ name: 's3', check: () => new Promise(() => undefined) }]);
    expect(await hanging.run()).toEqual({ ready: false, checks: { s3: 'down' } });

    const draining = createReadiness([{ name: 'nats', check: async () => undefined }]);
    draining.drain();
    expect(await draining.run()).toEqual({ ready: false, checks: { nats: 'up' } });
  });
});
