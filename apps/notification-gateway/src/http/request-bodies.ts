import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { bearerTokenOf, type Authenticate } from '../auth/authenticator.js';
import { itemBodyMediaOf } from '../item-bodies/item-body-media.js';
import type { ItemBodyKind } from '../item-bodies/parse-item-body.js';
import { ApiError } from './api-error.js';
import { toApiError } from './api-exception.filter.js';

/** Bodies of every other route: settings and commands, never large. */
export const SMALL_BODY_BYTES = 1024 * 1024;

/** POST routes whose body is an item list: read as bytes (up to MAX_BODY_BYTES) and parsed off the event loop. */
const ITEM_ROUTES: [ItemBodyKind, RegExp][] = [
  ['create', /^\/api\/v1\/batches\/?$/],
  ['add-items', /^\/api\/v1\/batches\/[^/]+\/items\/?$/],
  ['seed-start', /^\/batch\/start\/?$/],
];

const itemBodyKindOf = (request: IncomingMessage): ItemBodyKind | undefined =>
  request.method === 'POST'
    ? ITEM_ROUTES.find(([, route]) => route.test((request.url ?? '').split('?')[0]!))?.[0]
    : undefined;

export const carriesItems = (request: IncomingMessage): boolean => itemBodyKindOf(request) !== undefined;

/** POST routes whose body is a backup file: streamed to storage as it arrives, never parsed here. */
const STREAMED_ROUTES = [/^\/api\/backup\/?$/];

export const streamsBody = (request: IncomingMessage): boolean =>
  request.method === 'POST' &&
  STREAMED_ROUTES.some((route) => route.test((request.url ?? '').split('?')[0]!));

export const isJson = (request: IncomingMessage): boolean =>
  /^application\/([\w.+-]*\+)?json\b/i.test(request.headers['content-type'] ?? '') &&
  !carriesItems(request) &&
  !streamsBody(request);

const hasBody = (request: IncomingMessage): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * A request with a body must show a valid token before a byte of its body is read: a 60 MB body
 * without one is refused at once, not read and parsed first. (The guard checks every request again;
 * a token is verified once until it expires.)
 */
export function authenticateBeforeBody(authenticate: Authenticate) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (!hasBody(request)) return next();
    const verified = Promise.resolve().then(() => authenticate(bearerTokenOf(request.headers.authorization)));
    verified.then(
      (userId) => {
        (request as AuthenticatedRequest).userId = userId;
        next();
      },
      (error: unknown) => {
        const refusal = toApiError(error);
        // The body is left unread: the connection closes once the answer is sent.
        response.setHeader('Connection', 'close');
        response.status(refusal.status).json(refusal.body);
      },
    );
  };
}

/**
 * An item list in a content type its route does not take is a 415 before a byte of it is read,
 * like a missing token: a 60 MB body is not read to be refused.
 */
export function refuseUnsupportedItemMedia(request: Request, response: Response, next: NextFunction): void {
  const kind = itemBodyKindOf(request);
  if (kind === undefined || !hasBody(request)) return next();
  try {
    itemBodyMediaOf(kind, request.headers['content-type']);
  } catch (error) {
    const refusal = toApiError(error);
    response.setHeader('Connection', 'close');
    return void response.status(refusal.status).json(refusal.body);
  }
  next();
}

/**
 * Requests Node refuses before any route sees them (headers over 16 KiB, malformed HTTP) get the
 * API's JSON error too, instead of an empty body.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const refusal = tooLarge
      ? new ApiError('headers_too_large', 'the request headers are over 16 KiB')
      : new ApiError('bad_request', 'malformed HTTP request');
    const body = JSON.stringify(refusal.body);
    socket.end(
      `HTTP/1.1 ${refusal.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}
