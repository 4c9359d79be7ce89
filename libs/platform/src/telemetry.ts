import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';

export interface Telemetry {
  /** Sends the spans still buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

/** Traces are off unless the environment asks for an exporter (the OpenTelemetry variables). */
export function tracingWanted(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry Node SDK for a service, before the service's own modules are imported
 * (its main.ts imports them after this resolves): incoming and outgoing HTTP (node:http and
 * fetch) and PostgreSQL are instrumented, the W3C trace context propagates, and spans go to the
 * exporter the standard `OTEL_*` variables name. Off, and free, unless they ask for it.
 */
export function startTelemetry(service: string, env: NodeJS.ProcessEnv = process.env): Telemetry | undefined {
  if (!tracingWanted(env)) return undefined;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || service,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => isOpsPath(request.url) }),
      // Queries outside a traced operation (start-up, polling) would be traces of one span each.
      new PgInstrumentation({ requireParentSpan: true }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** Probes and scrapes come every few seconds: they would bury the traces that matter. */
const isOpsPath = (url = '') => /^\/(healthz|readyz|metrics)(\?|$)/.test(url);
