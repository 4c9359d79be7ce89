import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { DataSource } from 'typeorm';
import type { ObjectStore } from '../storage/object-store.js';

/** Which of the user's conversations a backup holds: named ones, a batch's, or all of them. */
export type BackupSelection =
  { kind: 'ids'; conversationIds: string[] } | { kind: 'batch'; batchId: string } | { kind: 'all' };

export interface BackupRequest {
  userId: string;
  key: string;
  selection: BackupSelection;
  reason: string;
  createdAt: Date;
  pageSize: number;
  /** Called after each page with the conversations written so far. */
  onProgress?: (written: number) => void;
}

export interface WrittenBackup {
  conversationCount: number;
  /** Requested ids that were not written: they do not exist, or are another user's. */
  skippedIds: string[];
  sizeBytes: number;
  sha256: string;
}

const PIECE_CHARACTERS = 64 * 1024;

/** The stored object does not hash to what was uploaded. */
export class BackupIntegrityError extends Error {
  constructor(key: string) {
    super(`the stored backup ${key} does not match what was written (sha256 or size differ)`);
    this.name = 'BackupIntegrityError';
  }
}

/**
 * One page of conversations as v1.0 JSON, made by PostgreSQL (seed 001's fields, then ours), with
 * their turns in order. Keyset on the conversation id; a batch's go by item id (its unique index).
 */
function pageQuery(selection: BackupSelection): string {
  const key = selection.kind === 'batch' ? 'c.item_id' : 'c.id';
  const only =
    selection.kind === 'ids'
      ? 'AND c.id = ANY($4::text[])'
      : selection.kind === 'batch'
        ? 'AND c.batch_id = $4'
        : '';
  return `
    SELECT ${key} AS key, c.id, json_build_object(
      'id', c.id, 'content', c.content, 'persona', c.persona, 'topic', c.topic,
      'batch_id', c.batch_id, 'item_id', c.item_id, 'created_at', c.created_at,
      'conversation_turns', COALESCE((
        SELECT json_agg(json_build_object('id', t.id, 'content', t.content, 'role', t.role,
                                          'sequence', t.sequence) ORDER BY t.sequence)
          FROM conversation_turns t WHERE t.conversation_id = c.id), '[]'::json)
    )::text AS doc
    FROM conversations c
    WHERE c.user_id = $1 AND ${key} > $2 ${only}
    ORDER BY ${key} LIMIT $3`;
}

/**
 * Streams the selected conversations from PostgreSQL, a page at a time, as the v1.0 document
 * through gzip into a multipart upload, hashing what is uploaded; then reads the stored object back
 * and checks its sha256 and size. Memory is a page and an upload part, whatever the backup's size.
 * A failure (PostgreSQL, S3, a mismatch) rejects, and leaves no object behind.
 */
export async function writeBackup(
  ds: DataSource,
  store: ObjectStore,
  request: BackupRequest,
): Promise<WrittenBackup> {
  const { userId, selection, pageSize } = request;
  const sql = pageQuery(selection);
  const filter =
    selection.kind === 'ids'
      ? [selection.conversationIds]
      : selection.kind === 'batch'
        ? [selection.batchId]
        : [];
  const notWritten = new Set(selection.kind === 'ids' ? selection.conversationIds : []);
  let conversationCount = 0;

  async function* document(): AsyncGenerator<string> {
    yield (
      `{"version":"1.0","createdAt":${JSON.stringify(request.createdAt.toISOString())},` +
      `"backupReason":${JSON.stringify(request.reason)},"conversations":[`
    );
    let after = '';
    for (;;) {
      const rows = (await ds.query(sql, [userId, after, pageSize, ...filter])) as {
        key: string;
        id: string;
        doc: string;
      }[];
      if (rows.length === 0) break;
      // In pieces of ~64 KiB: a page of large conversations is never copied into one string.
      let piece = '';
      for (const [index, row] of rows.entries()) {
        piece += (conversationCount + index === 0 ? '' : ',') + row.doc;
        if (piece.length >= PIECE_CHARACTERS) {
          yield piece;
          piece = '';
        }
      }
      if (piece) yield piece;
      for (const row of rows) notWritten.delete(row.id);
      conversationCount += rows.length;
      request.onProgress?.(conversationCount);
      if (rows.length < pageSize) break;
      after = rows.at(-1)!.key;
    }
    yield ']}';
  }

  const hash = createHash('sha256');
  let sizeBytes = 0;
  const measured = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      done(null, chunk);
    },
  });
  const upload = new PassThrough();
  try {
    await Promise.all([
      pipeline(Readable.from(document()), createGzip({ level: 4 }), measured, upload),
      store.put(request.key, upload, 'application/gzip'),
    ]);
    const sha256 = hash.digest('hex');
    const stored = await store.digest(request.key);
    if (stored.sha256 !== sha256 || stored.sizeBytes !== sizeBytes)
      throw new BackupIntegrityError(request.key);
    return { conversationCount, skippedIds: [...notWritten], sizeBytes, sha256 };
  } catch (error) {
    upload.destroy();
    await store.remove(request.key).catch(() => undefined);
    throw error;
  }
}
