import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/** Someone appended to the aggregate's guarded channel since we read it: reload, decide again. */
export class ConcurrencyError extends Error {
  readonly code = 'conflict' as const;
  constructor(
    readonly aggregateId: string,
    readonly expectedLastSeq: number,
    options?: ErrorOptions,
  ) {
    super(`${aggregateId} changed after sequence ${expectedLastSeq}`, options);
    this.name = 'ConcurrencyError';
  }
}

export const isConcurrencyError = (error: unknown): error is ConcurrencyError =>
  error instanceof ConcurrencyError;

export const isWrongLastSequence = (error: unknown): boolean =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence;

/** A commit that can never be stored: larger than the server's max payload. */
export class CommitTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`commit of ${bytes} bytes exceeds the ${maxBytes}-byte max payload`);
    this.name = 'CommitTooLargeError';
  }
}
