import { trace } from '@opentelemetry/api';
import { pino, stdSerializers, type Logger } from 'pino';
import { redact } from './redact.js';

export type { Logger } from 'pino';

/** The trace and span of the active span, when tracing is on. */
function traceFields(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

/** Errors as pino prints them (type, message, stack, own fields), so the redaction sees their text. */
function withErrorsSerialized(record: Record<string, unknown>): Record<string, unknown> {
  const entries = Object.entries(record);
  if (!entries.some(([, value]) => value instanceof Error)) return record;
  return Object.fromEntries(
    entries.map(([key, value]) => [key, value instanceof Error ? stdSerializers.err(value) : value]),
  );
}

/**
 * The service's JSON logger: every line names the service and, inside a traced operation, its
 * `trace_id` and `span_id`; every record and message passes the platform's redaction, so no key,
 * token, password or e-mail address reaches a log.
 */
export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: service,
      level,
      base: { service, pid: process.pid },
      mixin: traceFields,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? redact(arg) : arg)) as typeof args);
        },
      },
      // Errors are serialized before the redaction (below), not after it.
      serializers: { err: (value: unknown) => value },
      formatters: { log: (record) => redact(withErrorsSerialized(record)) },
    },
    destination,
  );
}
