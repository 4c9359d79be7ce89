import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => carrier?.keys() ?? [],
  get: (carrier, key) => carrier?.get(key) || undefined,
};

const tracer = trace.getTracer('@batch/messaging');

/**
 * Message headers carrying the W3C trace context (`traceparent`, `tracestate`) of `from` (the
 * active context by default), added to `into` when given. With tracing off, or outside any trace,
 * there is nothing to carry: `into` comes back as it was (undefined: no headers at all).
 */
export function traceHeaders(into?: MsgHdrs, from: Context = context.active()): MsgHdrs | undefined {
  const fields: Record<string, string> = {};
  propagation.inject(from, fields);
  const keys = Object.keys(fields);
  if (keys.length === 0) return into;
  const headers = into ?? natsHeaders();
  for (const key of keys) headers.set(key, fields[key]!);
  return headers;
}

/** The trace context a message carries in its headers (the root context when it carries none). */
export const traceContextOf = (headers: MsgHdrs | undefined): Context =>
  propagation.extract(context.active(), headers, getter);

/**
 * Runs `work` in a span that continues the trace of `parent` (a message's context): the span is
 * ended when it settles, and marked failed when it throws.
 */
export function inSpan<T>(
  name: string,
  options: { parent?: Context; kind?: SpanKind; attributes?: Attributes },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind, attributes: options.attributes },
    parent,
    (span) =>
      work(span).then(
        (result) => {
          span.end();
          return result;
        },
        (error: unknown) => {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          span.end();
          throw error;
        },
      ),
  );
}

export { SpanKind };
