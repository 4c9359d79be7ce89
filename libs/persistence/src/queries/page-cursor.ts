import { z } from 'zod';
import { BatchId, parse } from '@batch/contracts';

/**
 * Opaque keyset cursors: the sort key of the last row of a page, as base64url JSON. A cursor that
 * does not decode to the expected shape is a ValidationError (the caller's mistake, code `validation`).
 */
export const encodeCursor = (key: readonly (string | number)[]): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

export function decodeCursor<S extends z.ZodType>(cursor: string, shape: S): z.output<S> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  return parse(shape, decoded, 'cursor');
}

/** Batches are listed newest first: created_at, then batch id to break ties. */
export const BatchCursor = z.tuple([z.iso.datetime({ offset: true }), BatchId]);
/** Items are listed in their order of arrival: a position is a PostgreSQL int. */
export const ItemCursor = z.tuple([z.number().int().nonnegative().max(2_147_483_647)]);
