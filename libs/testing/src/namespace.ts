import { randomBytes } from 'node:crypto';

/**
 * A name no other test run uses: it prefixes streams, KV buckets, subjects, the database schema
 * and the S3 bucket of one test file, so runs on one machine never collide.
 */
export const uniqueNamespace = (prefix = 't'): string =>
  `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`.toLowerCase();
