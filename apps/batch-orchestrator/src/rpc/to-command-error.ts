import { isDomainError } from '@batch/batch-domain';
import { isValidationError, type CommandError } from '@batch/contracts';
import { isConcurrencyError } from '@batch/event-store';
import type { Logger } from 'pino';

/** The typed refusal a caller gets; anything unexpected is logged here and answered without its internals. */
export function toCommandError(logger: Logger) {
  return (error: unknown): CommandError => {
    if (isDomainError(error)) return { code: error.code, message: error.message };
    if (isValidationError(error))
      return { code: 'validation', message: error.message, details: error.issues };
    if (isConcurrencyError(error))
      return { code: 'conflict', message: 'the batch changed meanwhile; try again' };
    logger.error({ err: error }, 'request failed');
    return { code: 'internal', message: 'internal error' };
  };
}
