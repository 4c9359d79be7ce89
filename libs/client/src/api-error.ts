import { ApiErrorCode } from '@batch/contracts';

/** Every failure of a call: an answer that is not 2xx, or no answer at all (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** The code a status implies, for answers whose body is not the API's error JSON (a proxy's page). */
const CODE_OF_STATUS: Record<number, ApiErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'unauthorized',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
  422: 'validation',
  429: 'rate_limited',
  502: 'unavailable',
  503: 'unavailable',
  504: 'unavailable',
};

const codeOfStatus = (status: number): ApiErrorCode =>
  CODE_OF_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request');

/** A body text short enough to show in a one-line message. */
const MAX_MESSAGE_CHARS = 300;

/** Builds the ApiError of a non-2xx answer from its `{error: {code, message, details?}}` body. */
export function apiErrorOf(status: number, statusText: string, bodyText: string): ApiError {
  const error = errorFieldOf(bodyText);
  if (error !== undefined) {
    const code = ApiErrorCode.safeParse(error.code);
    const message = typeof error.message === 'string' ? error.message : `HTTP ${status}`;
    return new ApiError(status, code.success ? code.data : codeOfStatus(status), message, error.details);
  }
  const text = bodyText.trim().replace(/\s+/g, ' ').slice(0, MAX_MESSAGE_CHARS);
  return new ApiError(status, codeOfStatus(status), text || `HTTP ${status} ${statusText}`.trim());
}

function errorFieldOf(bodyText: string): Record<string, unknown> | undefined {
  try {
    const body: unknown = JSON.parse(bodyText);
    if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
    const error = body.error;
    return typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A request that got no answer: refused connection, DNS, reset, a body cut off mid-stream. */
export function unavailableError(baseUrl: string, cause: unknown): ApiError {
  const reason = describeCause(cause);
  return new ApiError(0, 'unavailable', `cannot reach ${baseUrl}: ${reason}`);
}

/** Node's fetch says only "fetch failed"; the reason (ECONNREFUSED...) is in its cause. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause;
  if (inner instanceof Error)
    return `${cause.message} (${'code' in inner ? String(inner.code) : inner.message})`;
  return cause.message;
}
