import { isValidationError, type CommandError } from '@batch/contracts';
import type { Logger } from '@batch/platform';
import { Refusal } from './refusal.js';

/** The typed refusal a caller gets; anything unexpected is logged here and answered without its internals. */
export function toCommandError(logger: Logger) {
  return (error: unknown): CommandError => {
    if (error instanceof Refusal) return { code: error.code, message: error.message };
    if (isValidationError(error))
      return { code: 'validation', message: error.message, details: error.issues };
    logger.error({ err: error }, 'request failed');
    return { code: 'internal', message: 'internal error' };
  };
}
