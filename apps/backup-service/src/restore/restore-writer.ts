import { storableText } from '@batch/contracts';
import type { BackupRecord, RecordChunk, RestoredTable } from './backup-records.js';
import type { RestoreConnection } from './restore-connection.js';
import { restoredRow, type ConversationRow, type TurnRow } from './restored-rows.js';
import {
  isRecordError,
  isRetryable,
  recordErrorMessage,
  upsertConversations,
  upsertTurns,
} from './restore-statements.js';

/** Records per statement unless told otherwise (`RESTORE_BATCH_SIZE`). */
export const DEFAULT_RESTORE_BATCH_SIZE = 100;

/** What one statement's worth of records came to. */
export interface WrittenChunk {
  table: RestoredTable;
  /** Records of the chunk, restored or not. */
  processed: number;
  /** The id of the chunk's last record that has one. */
  recordId: string | null;
  /** `<table>:<recordId> - <message>` for each record of the chunk not restored, in file order. */
  errors: string[];
}

export interface WriteChunksOptions {
  /** Each writes one group of chunks at a time: as many groups in flight as connections. */
  connections: RestoreConnection[];
  /** Who restores: conversations become theirs, turns go only to their conversations. */
  userId: string;
  /**
   * Groups of chunks in the order of the file, each written in its order on one connection: a
   * chunk of conversations, then the chunks of their turns, which need them written first.
   */
  groups: AsyncIterable<RecordChunk[]>;
  /** After each chunk is written, in the order of the file. */
  onChunk?: (chunk: WrittenChunk) => Promise<void> | void;
}

export interface WrittenRecords {
  processed: number;
  failed: number;
}

/**
 * Writes chunks of records as multi-row upserts, reading the next chunks from the file while
 * PostgreSQL writes the previous ones. A record that cannot be restored (bad fields, an id that is
 * another user's, a turn without its conversation) is reported and the rest are written: a
 * statement refused for a record's data is retried row by row to find it. Any other failure
 * (PostgreSQL gone, the file unreadable) rejects, once every chunk in flight settled; the chunks
 * of a group after one that failed are not written.
 */
export async function writeChunks(options: WriteChunksOptions): Promise<WrittenRecords> {
  const { connections, userId } = options;
  if (connections.length === 0) throw new RangeError('no connection to restore with');
  const written: WrittenRecords = { processed: 0, failed: 0 };
  const report = async ({ table, records }: RecordChunk, errors: string[]) => {
    written.processed += records.length;
    written.failed += errors.length;
    const recordId = records.findLast((record) => record.id !== undefined)?.id ?? null;
    await options.onChunk?.({ table, processed: records.length, recordId, errors });
  };

  const inFlight = new Set<Promise<unknown>>();
  // Each chunk is reported after the one before it, whichever connection finished first.
  const reported: Promise<void>[] = [];
  let last: Promise<void> = Promise.resolve();
  let sent = 0;
  const send = async (group: RecordChunk[]) => {
    // The connection this group goes to is free once the group sent before on it is reported.
    if (reported.length === connections.length) await reported.shift();
    const connection = connections[sent++ % connections.length]!;
    let before: Promise<unknown> = Promise.resolve();
    for (const chunk of group) {
      const errors = before.then(() => restoreChunk(userId, connection, chunk));
      before = errors;
      inFlight.add(errors);
      void errors.catch(() => undefined).finally(() => inFlight.delete(errors));
      last = last.then(async () => report(chunk, await errors));
      // Awaited before a later group or at the end: never left unhandled while the file is read.
      last.catch(() => undefined);
    }
    reported.push(last);
  };

  try {
    for await (const group of options.groups) await send(group);
    await last;
  } finally {
    await Promise.allSettled([...inFlight, last]);
  }
  return written;
}

/** Writes a chunk; returns the error text of each record not restored, in order. */
async function restoreChunk(
  userId: string,
  connection: RestoreConnection,
  { table, records: chunk }: RecordChunk,
): Promise<string[]> {
  const failures = new Map<BackupRecord, string>();
  const valid: { record: BackupRecord; row: ConversationRow | TurnRow }[] = [];
  for (const record of chunk) {
    const checked = restoredRow(table, record.record);
    if ('problem' in checked) failures.set(record, checked.problem);
    else valid.push({ record, row: checked.row });
  }
  const upsert = (rows: (ConversationRow | TurnRow)[]) =>
    retried(() =>
      table === 'conversations'
        ? upsertConversations(connection, userId, rows as ConversationRow[])
        : upsertTurns(connection, userId, rows as TurnRow[]),
    );
  try {
    if (valid.length > 0) {
      const refused = await upsert(valid.map(({ row }) => row));
      for (const [index, reason] of refused) failures.set(valid[index]!.record, reason);
    }
  } catch (error) {
    if (!isRecordError(error)) throw error;
    for (const { record, row } of valid) {
      try {
        const [reason] = (await upsert([row])).values();
        if (reason !== undefined) failures.set(record, reason);
      } catch (rowError) {
        if (!isRecordError(rowError)) throw rowError;
        failures.set(record, recordErrorMessage(rowError));
      }
    }
  }
  return chunk
    .filter((record) => failures.has(record))
    .map((record) => errorText(table, record, failures.get(record)!));
}

/** Two chunks in flight that name the same ids (a file that repeats them) may deadlock: one goes again. */
async function retried<T>(statement: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await statement();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
    }
  }
}

/** Seed 003's `<table>:<recordId> - <message>`; a record without an id is named by its position. */
export const errorText = (table: RestoredTable, record: BackupRecord, message: string): string =>
  storableText(`${table}:${clipped(record.id ?? `#${record.position}`)} - ${clipped(message, 500)}`);

/** Ids and messages come from the file: a megabyte id must not make a megabyte of progress. */
const clipped = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max)}…` : text);
