import { z } from 'zod';

/**
 * How a failure is treated: retried, retried after a delay, given up at once, or the batch's (a
 * refused key, an empty balance, an unknown model, a spent budget): the batch pauses until the user
 * acts, and no item fails for it.
 */
export const ErrorCategory = z.enum(['temporary', 'rate_limited', 'permanent', 'action_required']);
export type ErrorCategory = z.infer<typeof ErrorCategory>;

/** The one error shape of the platform: item failures, command failures, notifications. */
export const ErrorShape = z.object({
  code: z.string().min(1).max(100),
  category: ErrorCategory,
  message: z.string().max(2000),
  retryable: z.boolean(),
  /** What helps to understand it, such as the start of a reply that could not be read (sanitized). */
  details: z.record(z.string(), z.string().max(2000)).optional(),
});
export type ErrorShape = z.infer<typeof ErrorShape>;

/** Codes a command or query of the orchestrator answers with when it refuses. */
export const CommandErrorCode = z.enum([
  'not_found',
  'already_exists',
  'invalid_state',
  'nothing_failed',
  'conflict',
  'gone',
  'failed',
  'validation',
  'unavailable',
  'internal',
]);
export type CommandErrorCode = z.infer<typeof CommandErrorCode>;

export const CommandError = z.object({
  code: CommandErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type CommandError = z.infer<typeof CommandError>;
