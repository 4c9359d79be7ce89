import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as a service exported it. */
export interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind?: number;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (with OTEL_EXPORTER_OTLP_PROTOCOL=http/json). */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Resolves with the spans received so far once `found` holds for them (checked on every export). */
  waitFor(found: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: Omit<ReceivedSpan, 'service'>[] }[];
  }[];
}

/**
 * A local OTLP/HTTP trace receiver (the collector's `/v1/traces` in its JSON encoding): services
 * export to it as they would to a collector, and a test reads what arrived.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const listeners = new Set<() => void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest;
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service =
            resourceSpans.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value
              .stringValue ?? 'unknown';
          for (const scope of resourceSpans.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({
                service,
                name: span.name,
                traceId: span.traceId,
                spanId: span.spanId,
                ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
                kind: span.kind,
              });
        }
        listeners.forEach((listener) => listener());
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    waitFor: (found, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!found(spans)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          const seen = spans.map((span) => `${span.service} ${span.name} ${span.traceId}`).join('\n');
          reject(new Error(`the spans looked for did not arrive in ${timeoutMs} ms; received:\n${seen}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
