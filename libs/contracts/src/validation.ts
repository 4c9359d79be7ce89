import { z } from 'zod';
import { unstorableJsonIssues } from './storable-json.js';

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

export type Validated<T> = { success: true; data: T } | { success: false; issues: FieldIssue[] };

/**
 * Checks a value from outside (an HTTP body, a NATS request, a cursor): text PostgreSQL can store
 * and bounded nesting first, then its schema. Every issue names its field.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown): Validated<z.output<S>> {
  const unstorable = unstorableJsonIssues(value);
  if (unstorable.length > 0) return { success: false, issues: unstorable };
  const result = schema.safeParse(value);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, issues: issuesOf(result.error) };
}

/** Parses at the edge: returns the typed value or throws a ValidationError naming the fields. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = validate(schema, value);
  if (!result.success) throw new ValidationError(what, result.issues);
  return result.data;
}
