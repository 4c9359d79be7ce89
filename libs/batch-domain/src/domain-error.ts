import type { CommandErrorCode } from '@batch/contracts';

export type DomainErrorCode = Extract<
  CommandErrorCode,
  'not_found' | 'already_exists' | 'invalid_state' | 'nothing_failed' | 'validation'
>;

/** An illegal command. Never an HTTP error: the edge maps codes to statuses. */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
