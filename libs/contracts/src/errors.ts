import { z } from 'zod';

/** How an item's failure should be treated: retried, retried after a delay, or given up at once. */
export const ErrorCategory = z.enum(['temporary', 'rate_limited', 'permanent']);
export type ErrorCategory = z.infer<typeof ErrorCategory>;

/** The one error shape of the platform: item failures, command failures, notifications. */
export const ErrorShape = z.object({
  code: z.string().min(1).max(100),
  category: ErrorCategory,
  message: z.string().max(2000),
  retryable: z.boolean(),
});
export type ErrorShape = z.infer<typeof ErrorShape>;

/** Codes a command or query of the orchestrator answers with when it refuses. */
export const CommandErrorCode = z.enum([
  'not_found',
  'already_exists',
  'invalid_state',
  'nothing_failed',
  'conflict',
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
