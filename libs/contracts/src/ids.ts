import { z } from 'zod';

/** A batch id is one NATS subject token and one KV key segment: no dots, wildcards or spaces. */
export const BatchId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"');
export type BatchId = z.infer<typeof BatchId>;

/** Item ids travel in Nats-Msg-Id headers: printable, no slashes (the header's separator). */
export const ItemId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s/\u0000-\u001f\u007f]+$/, 'must not contain whitespace, control characters or "/"');
export type ItemId = z.infer<typeof ItemId>;

/** A user id (a token's `sub`) is stored with every row of theirs: no control characters. */
export const UserId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');
export type UserId = z.infer<typeof UserId>;
