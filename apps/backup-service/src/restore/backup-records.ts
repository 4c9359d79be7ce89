import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BackupFormatError, tableEntries, type RestoredTable, type TableEntry } from './backup-document.js';

export {
  BackupFormatError,
  isBackupFormatError,
  RESTORED_TABLES,
  type RestoredTable,
} from './backup-document.js';

/**
 * Opens the backup afresh, from its first byte: it is read once to check it, then once per table,
 * or once for both when its turns are nested in their conversations.
 */
export type OpenBackup = () => Promise<Readable>;

export type TableCounts = Record<RestoredTable, number>;

export interface BackupInspection {
  counts: TableCounts;
  /**
   * Every turn is nested in its conversation (v1.0), none in a table of turns (seed 003's, which
   * may come before the conversations): the turns can be written right after their conversations,
   * in the same read.
   */
  turnsNested: boolean;
}

/** One record of a table, unchecked: the writer validates it. */
export interface BackupRecord {
  /** The record's id, when it has one (a non-empty string). */
  id?: string;
  /** 1-based, in the table's order in the file: names a record that has no id. */
  position: number;
  record: unknown;
}

/** Records of one table, written by one statement. */
export interface RecordChunk {
  table: RestoredTable;
  records: BackupRecord[];
}

const NESTED_TURNS = 'conversation_turns';

/** A v1.0 conversation's turns, nested in it. */
const nestedTurns = (conversation: unknown): unknown[] =>
  isObject(conversation) && Array.isArray(conversation[NESTED_TURNS]) ? conversation[NESTED_TURNS] : [];

/** Checks the whole backup in one pass, holding one record at a time, and counts its records. */
export async function inspectBackup(open: OpenBackup): Promise<BackupInspection> {
  const counts: TableCounts = { conversations: 0, conversation_turns: 0 };
  let turnsNested = true;
  for await (const entries of entriesOf(open))
    for (const entry of entries) {
      counts[entry.table] += 1;
      if (entry.table === 'conversations') counts.conversation_turns += nestedTurns(entry.value).length;
      else turnsNested = false;
    }
  return { counts, turnsNested };
}

/** Numbers a table's records in the order of the file. */
function positioned() {
  let position = 0;
  return (record: unknown): BackupRecord => {
    position += 1;
    const id = isObject(record) && typeof record.id === 'string' && record.id !== '' ? record.id : undefined;
    return id === undefined ? { position, record } : { id, position, record };
  };
}

/**
 * A v1.0 conversation's nested turns are turns of the conversation they are nested in, whatever
 * `conversation_id` they say.
 */
function* turnsOf(conversation: unknown): Generator<unknown> {
  const conversationId = isObject(conversation) ? conversation.id : undefined;
  for (const turn of nestedTurns(conversation)) {
    // Parsed for this read alone: set in place rather than copied.
    if (isObject(turn)) turn.conversation_id = conversationId;
    yield turn;
  }
}

/** The records of one table, in the order of the file, read afresh from the source. */
export async function* readRecords(open: OpenBackup, table: RestoredTable): AsyncGenerator<BackupRecord> {
  const next = positioned();
  for await (const entries of entriesOf(open))
    for (const entry of entries) {
      if (entry.table === table) yield next(entry.value);
      if (table === 'conversation_turns' && entry.table === 'conversations')
        for (const turn of turnsOf(entry.value)) yield next(turn);
    }
}

/** One table's records in chunks of `batchSize`, each written on its own. */
export async function* tableChunks(
  records: AsyncIterable<BackupRecord>,
  table: RestoredTable,
  batchSize: number,
): AsyncGenerator<RecordChunk[]> {
  let chunk: BackupRecord[] = [];
  for await (const record of records) {
    chunk.push(record);
    if (chunk.length < batchSize) continue;
    yield [{ table, records: chunk }];
    chunk = [];
  }
  if (chunk.length > 0) yield [{ table, records: chunk }];
}

/**
 * A backup whose turns are all nested (`turnsNested`), in one read: each `batchSize` conversations
 * together with their turns, in chunks of `batchSize`, to be written in that order.
 */
export async function* nestedChunks(open: OpenBackup, batchSize: number): AsyncGenerator<RecordChunk[]> {
  const nextConversation = positioned();
  const nextTurn = positioned();
  let conversations: BackupRecord[] = [];
  let turns: BackupRecord[] = [];
  const together = (): RecordChunk[] => [
    { table: 'conversations', records: conversations },
    ...Array.from({ length: Math.ceil(turns.length / batchSize) }, (_, index) => ({
      table: 'conversation_turns' as const,
      records: turns.slice(index * batchSize, (index + 1) * batchSize),
    })),
  ];
  for await (const entries of entriesOf(open))
    for (const entry of entries) {
      if (entry.table !== 'conversations') throw new Error('the backup changed since it was checked');
      conversations.push(nextConversation(entry.value));
      for (const turn of turnsOf(entry.value)) turns.push(nextTurn(turn));
      if (conversations.length < batchSize) continue;
      yield together();
      conversations = [];
      turns = [];
    }
  if (conversations.length > 0) yield together();
}

async function* entriesOf(open: OpenBackup): AsyncGenerator<TableEntry[]> {
  const source = await open();
  try {
    yield* tableEntries(decompressed(source));
  } finally {
    source.destroy();
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** The bytes of the backup: our stored backups are gzip, an uploaded file may be plain JSON. */
async function* decompressed(source: Readable): AsyncGenerator<Uint8Array | string> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>;
  // Enough of the head to tell gzip, however the source cuts its chunks.
  const head: (Uint8Array | string)[] = [];
  let headBytes = 0;
  while (headBytes < GZIP_MAGIC.length) {
    const next = await chunks.next();
    if (next.done) break;
    head.push(next.value);
    headBytes += typeof next.value === 'string' ? Buffer.byteLength(next.value) : next.value.byteLength;
  }
  if (head.length === 0) return;
  const all = (async function* () {
    yield* head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  })();
  if (!isGzip(head)) return yield* all;
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

/** Text chunks are never gzip. */
function isGzip(head: (Uint8Array | string)[]): boolean {
  if (head.some((chunk) => typeof chunk === 'string')) return false;
  const bytes = Buffer.concat(head as Uint8Array[]);
  return GZIP_MAGIC.every((byte, index) => bytes[index] === byte);
}

/** By its code: zlib's errors come from another realm than this module's `Error` under jest. */
const isZlibError = (error: unknown): error is { code: string; message: string } =>
  isObject(error) && typeof error.code === 'string' && error.code.startsWith('Z_');

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
