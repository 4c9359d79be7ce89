import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Response } from 'express';
import { isValidationError } from '@batch/contracts';
import { LOGGER, type Logger } from '@batch/platform';
import { isAuthenticationError } from '../auth/authenticator.js';
import { ApiError } from './api-error.js';

/** Errors of a lost or refused connection to PostgreSQL or NATS: the caller may try again. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);
const UNREACHABLE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|connection (is )?closed|cannot use a pool after calling end/i;
/** PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown). */
const UNREACHABLE_SQLSTATE = /^(08|57P)/;

function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || UNREACHABLE_SQLSTATE.test(code)))
    return true;
  const cause = (error as { cause?: unknown }).cause;
  return UNREACHABLE_MESSAGE.test(error.message) || (cause !== undefined && isUnreachable(cause));
}

/** Turns whatever a request threw into `{error: {code, message, details?}}`; never a stack trace. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isAuthenticationError(error)) return new ApiError('unauthorized', error.message);
  // Input found wrong past the edge (a page cursor that does not decode), as the services answer it.
  if (isValidationError(error)) return new ApiError('validation', error.message, error.issues);
  if (error instanceof ThrottlerException)
    return new ApiError('rate_limited', 'too many requests, slow down');
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404) return new ApiError('not_found', error.message);
    if (status === 413) return new ApiError('payload_too_large', error.message);
    if (status === 401 || status === 403) return new ApiError('unauthorized', error.message);
    if (status < 500) return new ApiError('bad_request', error.message);
  }
  if (isUnreachable(error))
    return new ApiError(
      'unavailable',
      'a backing service (NATS or PostgreSQL) is unreachable, try again shortly',
    );
  return new ApiError('internal', 'the request failed unexpectedly; the error was logged');
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const apiError = toApiError(error);
    if (apiError.status >= 500) this.logger.error({ err: error }, `request failed: ${apiError.code}`);
    if (response.headersSent) return void response.destroy();
    // A route that set a stream's headers before failing still answers the error as JSON.
    response.removeHeader('Content-Type');
    response.removeHeader('Content-Disposition');
    if (apiError.code === 'rate_limited' && !response.getHeader('Retry-After'))
      response.setHeader('Retry-After', '1');
    response.status(apiError.status).json(apiError.body);
  }
}
