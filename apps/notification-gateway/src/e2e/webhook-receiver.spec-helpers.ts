import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/**
 * A real HTTP server receiving webhooks on 127.0.0.1: it records every request and answers each
 * path's scripted statuses in order (200 once a script is used up). Tests wait on its requests.
 */
export interface WebhookReceiver {
  url(path: string): string;
  /** The statuses the next requests to `path` get, in order. */
  answer(path: string, statuses: number[]): void;
  requestsTo(path: string): ReceivedRequest[];
  /** Resolves with the requests to `path` once there are at least `count`. */
  until(path: string, count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const scripts = new Map<string, number[]>();
  const listeners = new Set<() => void>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({
        path,
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
        ),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      response.statusCode = scripts.get(path)?.shift() ?? 200;
      response.end();
      listeners.forEach((listener) => listener());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const requestsTo = (path: string) => received.filter((request) => request.path === path);
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    answer: (path, statuses) => void scripts.set(path, [...statuses]),
    requestsTo,
    until: (path, count, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const requests = requestsTo(path);
          if (requests.length < count) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(requests);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${requestsTo(path).length} of ${count} requests to ${path} in ${timeoutMs} ms`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
