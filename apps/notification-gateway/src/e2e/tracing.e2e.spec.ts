import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BatchView } from '@batch/contracts';
import {
  startOtlpReceiver,
  startPlatform,
  type OtlpReceiver,
  type Platform,
  type ReceivedSpan,
} from '@batch/testing';

let receiver: OtlpReceiver;
let platform: Platform;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  platform = await startPlatform(
    {},
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      LOG_LEVEL: 'debug',
    },
  );
}, 120_000);
afterAll(async () => {
  await platform?.close();
  await receiver?.close();
});

const ofTrace = (spans: ReceivedSpan[], traceId: string) => spans.filter((span) => span.traceId === traceId);

describe('one trace across the services', () => {
  it('follows an item from the REST request through the orchestrator, the work queue, the worker and the projection', async () => {
    const alice = await platform.as('alice');
    const created = await alice.call<BatchView>('POST', '/api/v1/batches', {
      items: [{ id: 'traced-1', topic: 'tracing' }],
    });
    expect(created.status).toBe(201);
    await platform.watcher.until((events) =>
      events.some((event) => event.type === 'ItemCompleted' && event.batchId === created.body.batch_id),
    );

    const request = (spans: ReceivedSpan[]) =>
      spans.find((span) => span.service === 'notification-gateway' && span.name === 'POST');
    // The outcome's projection continues the worker's span: the whole path is in one trace.
    const spans = await receiver.waitFor((spans) => {
      const root = request(spans);
      if (!root) return false;
      const trace = ofTrace(spans, root.traceId);
      const workerSpans = new Set(
        trace.filter((span) => span.service === 'generation-worker').map((s) => s.spanId),
      );
      return trace.some((span) => span.name === 'project' && workerSpans.has(span.parentSpanId ?? ''));
    });
    const root = request(spans)!;
    const trace = ofTrace(spans, root.traceId);
    const named = (service: string, name: string | RegExp) =>
      trace.filter(
        (span) =>
          span.service === service && (typeof name === 'string' ? span.name === name : name.test(span.name)),
      );

    expect(root.parentSpanId).toBeUndefined();
    expect(named('batch-orchestrator', /^serve .*batch\.cmd\.create$/)).toHaveLength(1);
    expect(named('generation-worker', 'generate')).toHaveLength(1);
    // The worker's stored conversation (PostgreSQL, instrumented) is in the trace too.
    expect(named('generation-worker', /^pg\.query/).length).toBeGreaterThan(0);
    expect(named('batch-orchestrator', 'project').length).toBeGreaterThanOrEqual(2);

    // The services' log lines of that work carry the trace id.
    for (const [service, message] of [
      [platform.orchestrator, '"msg":"decided"'],
      [platform.worker, '"msg":"generating"'],
      [platform.gatewayProcess, '"route":"/api/v1/batches"'],
    ] as const)
      expect(await service.waitForLine(message)).toContain(`"trace_id":"${root.traceId}"`);
  });
});
