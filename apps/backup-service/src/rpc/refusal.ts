import type { CommandErrorCode } from '@batch/contracts';

/** A request the service answers with a typed refusal (not found, gone, failed...), not an internal error. */
export class Refusal extends Error {
  constructor(
    readonly code: CommandErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}
