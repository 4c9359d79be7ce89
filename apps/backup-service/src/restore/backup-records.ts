import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BackupFormatError, tableEntries, type RestoredTable, type TableEntry } from './backup-document.js';

export {
  BackupFormatError,
  isBackupFormatError,
  RESTORED_TABLES,
  type RestoredTable,
} from './backup-document.js';

/** Opens the backup afresh, from its first byte: it is read once to check it, then once per table. */
export type OpenBackup = () => Promise<Readable>;

export type TableCounts = Record<RestoredTable, number>;

export interface BackupInspection {
  counts: TableCounts;
}

/** One record of a table, unchecked: the writer validates it. */
export interface BackupRecord {
  /** The record's id, when it has one (a non-empty string). */
  id?: string;
  /** 1-based, in the table's order in the file: names a record that has no id. */
  position: number;
  record: unknown;
}

const NESTED_TURNS = 'conversation_turns';

/** A v1.0 conversation's turns, nested in it. */
const nestedTurns = (conversation: unknown): unknown[] =>
  isObject(conversation) && Array.isArray(conversation[NESTED_TURNS]) ? conversation[NESTED_TURNS] : [];

/** Checks the whole backup in one pass, holding one record at a time, and counts its records. */
export async function inspectBackup(open: OpenBackup): Promise<BackupInspection> {
  const counts: TableCounts = { conversations: 0, conversation_turns: 0 };
  for await (const entries of entriesOf(open))
    for (const entry of entries) {
      counts[entry.table] += 1;
      if (entry.table === 'conversations') counts.conversation_turns += nestedTurns(entry.value).length;
    }
  return { counts };
}

/**
 * The records of one table, in the order of the file, read afresh from the source. A v1.0
 * conversation's nested turns are turns of the conversation they are nested in, whatever
 * `conversation_id` they say.
 */
export async function* readRecords(open: OpenBackup, table: RestoredTable): AsyncGenerator<BackupRecord> {
  let position = 0;
  const next = (record: unknown): BackupRecord => {
    position += 1;
    const id = isObject(record) && typeof record.id === 'string' && record.id !== '' ? record.id : undefined;
    return id === undefined ? { position, record } : { id, position, record };
  };
  for await (const entries of entriesOf(open))
    for (const entry of entries) {
      if (entry.table === table) yield next(entry.value);
      if (table !== 'conversation_turns' || entry.table !== 'conversations') continue;
      const conversationId = isObject(entry.value) ? entry.value.id : undefined;
      for (const turn of nestedTurns(entry.value)) {
        // Parsed for this pass alone: set in place rather than copied.
        if (isObject(turn)) turn.conversation_id = conversationId;
        yield next(turn);
      }
    }
}

async function* entriesOf(open: OpenBackup): AsyncGenerator<TableEntry[]> {
  const source = await open();
  try {
    yield* tableEntries(decompressed(source));
  } finally {
    source.destroy();
  }
}

const isGzip = (head: Uint8Array | string) =>
  typeof head !== 'string' && head[0] === 0x1f && head[1] === 0x8b;

/** The bytes of the backup: our stored backups are gzip, an uploaded file may be plain JSON. */
async function* decompressed(source: Readable): AsyncGenerator<Uint8Array | string> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>;
  const first = await chunks.next();
  if (first.done) return;
  const all = (async function* () {
    yield first.value;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  })();
  if (!isGzip(first.value)) return yield* all;
  const gunzip = createGunzip();
  // Its errors, the source's as well as its own, come out of the loop below.
  pipeline(Readable.from(all), gunzip, () => undefined);
  try {
    yield* gunzip;
  } catch (error) {
    if (isZlibError(error)) throw new BackupFormatError(`the backup is not valid gzip: ${error.message}`);
    throw error;
  } finally {
    gunzip.destroy();
  }
}

/** By its code: zlib's errors come from another realm than this module's `Error` under jest. */
const isZlibError = (error: unknown): error is { code: string; message: string } =>
  isObject(error) && typeof error.code === 'string' && error.code.startsWith('Z_');

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
