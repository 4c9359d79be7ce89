import type { z } from 'zod';
import { BatchId, validate } from '@batch/contracts';
import { ApiError, validationError } from './api-error.js';

/** Parses a body or query with its contract schema; a failure is a 422 naming every failing field. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = validate(schema, value ?? {});
  if (!parsed.success) throw validationError(what, parsed.issues);
  return parsed.data;
}

/** A path id that cannot name a batch names no batch of this user either: 404, like any other. */
export function batchIdOf(id: string): string {
  if (!BatchId.safeParse(id).success) throw new ApiError('not_found', `batch ${id.slice(0, 100)} not found`);
  return id;
}
