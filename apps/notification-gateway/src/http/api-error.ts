import type { ApiErrorBody, ApiErrorCode, CommandError, FieldIssue } from '@batch/contracts';

const STATUS: Record<ApiErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  gone: 410,
  length_required: 411,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  validation: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** An answer the API gives on purpose: its status follows from its code. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = STATUS[code];
  }

  get body(): ApiErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}

export const validationError = (what: string, issues: FieldIssue[]): ApiError =>
  new ApiError(
    'validation',
    `invalid ${what}: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`,
    issues,
  );

/** A service's typed refusals, as the API answers them. */
export function fromCommandError(error: CommandError, service = 'batch service'): ApiError {
  switch (error.code) {
    case 'not_found':
      return new ApiError('not_found', error.message);
    case 'already_exists':
    case 'invalid_state':
    case 'nothing_failed':
    case 'conflict':
      return new ApiError('conflict', error.message, { reason: error.code });
    case 'gone':
      return new ApiError('gone', error.message);
    case 'failed':
      return new ApiError('unavailable', error.message);
    case 'validation':
      return new ApiError('validation', error.message, error.details);
    case 'unavailable':
      return new ApiError('unavailable', `the ${service} is unavailable, try again shortly`);
    case 'internal':
      return new ApiError('internal', `the ${service} failed to answer; the error was logged`);
    default: {
      const unhandled: never = error.code;
      throw new Error(`unhandled command error ${String(unhandled)}`);
    }
  }
}
