import { errors, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import { validate, type CommandError, type Reply } from '@batch/contracts';
import { inSpan, SpanKind, traceContextOf, traceHeaders } from './trace-context.js';

export interface Route {
  subject: string;
  schema: z.ZodType;
  handle: (request: never) => Promise<unknown>;
}

export interface ServeOptions {
  /** Replicas in one queue group share the requests: each is answered once. */
  queue: string;
  /** Turns anything a handler throws into the typed refusal the caller gets. */
  toCommandError: (error: unknown) => CommandError;
}

const encoder = new TextEncoder();
const respond = (message: Msg, reply: Reply<unknown>) =>
  message.respond(encoder.encode(JSON.stringify(reply)));

async function answer(route: Route, message: Msg, options: ServeOptions): Promise<void> {
  let body: unknown;
  try {
    body = message.data.length === 0 ? {} : message.json();
  } catch {
    return void respond(message, {
      ok: false,
      error: { code: 'validation', message: 'request body is not JSON' },
    });
  }
  const parsed = validate(route.schema, body);
  if (!parsed.success) {
    const details = parsed.issues;
    const summary = details.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
    return void respond(message, { ok: false, error: { code: 'validation', message: summary, details } });
  }
  try {
    respond(message, { ok: true, result: await route.handle(parsed.data as never) });
  } catch (error) {
    respond(message, { ok: false, error: options.toCommandError(error) });
  }
}

/** Answers typed requests: parse with the route's schema, handle, reply `{ok, result}` or `{ok: false, error}`. */
export function serveRequests(nc: NatsConnection, routes: Route[], options: ServeOptions): Subscription[] {
  return routes.map((route) =>
    nc.subscribe(route.subject, {
      queue: options.queue,
      callback: (error, message) => {
        if (error) return;
        const parent = traceContextOf(message.headers);
        void inSpan(`serve ${route.subject}`, { parent, kind: SpanKind.SERVER }, () =>
          answer(route, message, options),
        );
      },
    }),
  );
}

/** Sends a request and returns the typed reply; no responder or a timeout is `unavailable`. */
export function request<R>(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  timeoutMs = 30_000,
): Promise<Reply<R>> {
  return requestEncoded<R>(nc, subject, encoder.encode(JSON.stringify(payload)), timeoutMs);
}

/** The same with a payload already encoded as JSON (large item lists encoded off the event loop). */
export async function requestEncoded<R>(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  timeoutMs = 30_000,
): Promise<Reply<R>> {
  try {
    const headers = traceHeaders();
    const message = await nc.request(subject, payload, {
      timeout: timeoutMs,
      ...(headers ? { headers } : {}),
    });
    return message.json<Reply<R>>();
  } catch (error) {
    if (
      error instanceof errors.NoRespondersError ||
      error instanceof errors.TimeoutError ||
      error instanceof errors.RequestError
    )
      return {
        ok: false,
        error: { code: 'unavailable', message: `no answer on ${subject}: ${(error as Error).message}` },
      };
    throw error;
  }
}

/** A request's JSON: `fields` with `items` set to an already encoded JSON array. */
export function withEncodedItems(fields: Record<string, unknown>, items: Uint8Array): Uint8Array {
  const head = encoder.encode(`${JSON.stringify(fields).slice(0, -1)},"items":`);
  const request = new Uint8Array(head.length + items.length + 1);
  request.set(head);
  request.set(items, head.length);
  request[request.length - 1] = 0x7d;
  return request;
}
