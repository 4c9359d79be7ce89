import { z } from 'zod';

export interface FieldIssue {
  field: string;
  message: string;
}

/** A value that failed its schema; the message names every failing field. */
export class ValidationError extends Error {
  readonly code = 'validation' as const;
  constructor(
    readonly what: string,
    readonly issues: FieldIssue[],
  ) {
    super(`invalid ${what}: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`);
    this.name = 'ValidationError';
  }
}

export function isValidationError(error: unknown): error is ValidationError {
  return error instanceof ValidationError;
}

function fieldOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, position) =>
      typeof key === 'number' ? `[${key}]` : `${position === 0 ? '' : '.'}${String(key)}`,
    )
    .join('');
}

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ field: fieldOf(issue.path), message: issue.message }));
}

/** Parses at the edge: returns the typed value or throws a ValidationError naming the fields. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(what, issuesOf(result.error));
  return result.data;
}
