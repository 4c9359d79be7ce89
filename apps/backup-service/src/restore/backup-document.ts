import { JSONParser, type ParsedElementInfo } from '@streamparser/json';
import { BackupFormatError, isBackupFormatError } from './backup-format-error.js';
import { tableScanner } from './table-scanner.js';

export { BackupFormatError, isBackupFormatError } from './backup-format-error.js';

/** The tables a backup may hold, in the order they are restored (a turn needs its conversation). */
export const RESTORED_TABLES = ['conversations', 'conversation_turns'] as const;
export type RestoredTable = (typeof RESTORED_TABLES)[number];

export const isRestoredTable = (name: unknown): name is RestoredTable =>
  (RESTORED_TABLES as readonly unknown[]).includes(name);

/** One element of a top-level table array, as it comes: its checks are the writer's. */
export interface TableEntry {
  table: RestoredTable;
  value: unknown;
}

const WRAPPER = 'backupData';
const SUPPORTED_VERSION = '1.0';

/** Whether the array at this path from the root is a table: `[table]` or `[WRAPPER, table]`. */
const isTablePath = (path: readonly string[]) =>
  path.length === 1 ? isRestoredTable(path[0]) : path[0] === WRAPPER && isRestoredTable(path[1]);

/**
 * The parser reads the document but for the elements of its tables (see `tableScanner`). It emits
 * the document, its fields and the elements of its tables that it reads (also inside the
 * `backupData` wrapper), innermost first. Each emitted value is removed from its container at once,
 * so only the record being parsed is in memory, and what stays of the containers tells their
 * types: an empty table is still an array. (`keepStack: false` drops only values no ancestor
 * emits, and emitting no ancestor would hide a table that is empty, missing, or not an array.)
 * The core parser is used rather than the Node stream of `@streamparser/json-node`: that one hands
 * out copies of `parent`, where removing a value does nothing, and goes through a stream per record.
 */
const EMITTED_PATHS = ['$', '$.*', '$.*.*', `$.${WRAPPER}.*.*`];

type Layout = 'unknown' | 'plain' | 'wrapped';

/**
 * Checks the document's shape as its values arrive and hands out the table entries:
 * `{version?, ..., conversations: [...], conversation_turns?: [...]}` (v1.0 or seed 003's tables,
 * `metadata` ignored), possibly as `{"backupData": <document>}`.
 */
function documentShape(emit: (entry: TableEntry) => void) {
  let layout: Layout = 'unknown';
  let tables = 0;
  let documentEnded = false;

  const enter = (rootKey: unknown) => {
    const next: Layout = rootKey === WRAPPER ? 'wrapped' : 'plain';
    if (layout !== 'unknown' && layout !== next)
      throw new BackupFormatError(
        `"${WRAPPER}" must be the only field of the document when it wraps the backup`,
      );
    layout = next;
  };

  /** A field of the backup document (inside the wrapper or not). */
  const field = (key: unknown, value: unknown) => {
    if (key === 'metadata') return;
    if (key === 'version' && value !== SUPPORTED_VERSION)
      throw new BackupFormatError(
        `unsupported version ${JSON.stringify(value)}: only "${SUPPORTED_VERSION}" backups are restored`,
      );
    if (isRestoredTable(key)) {
      if (!Array.isArray(value)) throw new BackupFormatError(`the table "${key}" is not an array`);
      tables += 1;
    } else if (Array.isArray(value)) throw unknownTable(key);
  };

  /** An element of a field of the backup document. */
  const element = (key: unknown, value: unknown, container: unknown) => {
    if (key === 'metadata') return;
    if (isRestoredTable(key)) {
      if (!Array.isArray(container)) throw new BackupFormatError(`the table "${key}" is not an array`);
      emit({ table: key, value });
    } else if (Array.isArray(container)) throw unknownTable(key);
  };

  const document = (value: unknown, wrapped: boolean) => {
    if (!isPlainObject(value))
      throw new BackupFormatError(
        wrapped ? `"${WRAPPER}" is not a JSON object` : 'the backup is not a JSON object',
      );
    documentEnded ||= !wrapped;
  };

  return {
    accept({ value, key, parent, stack }: ParsedElementInfo) {
      const depth = stack.length;
      if (depth === 0) return document(value, false);
      // Done with: only what is still being parsed stays in memory.
      if (Array.isArray(parent)) parent.length = 0;
      else delete (parent as Record<string, unknown>)[key as string];
      const root = depth === 1 ? parent : stack[1]!.value;
      if (Array.isArray(root)) throw new BackupFormatError('the backup is not a JSON object');
      enter(depth === 1 ? key : stack[1]!.key);
      // How deep in the backup document: 0 the document, 1 a field, 2 an element of a field.
      const level = layout === 'wrapped' ? depth - 1 : depth;
      if (level === 0) return document(value, true);
      const fields = level === 1 ? parent : stack[depth - 1]!.value;
      if (Array.isArray(fields)) throw new BackupFormatError(`"${WRAPPER}" is not a JSON object`);
      return level === 1 ? field(key, value) : element(stack[depth - 1]!.key, value, parent);
    },
    /** An element of a table, as the scanner found it: the checks the parser's path would make. */
    tableElement(path: readonly string[], value: unknown) {
      enter(path[0]);
      emit({ table: path.at(-1) as RestoredTable, value });
    },
    finish() {
      if (!documentEnded) throw new BackupFormatError('the backup is empty');
      if (layout === 'unknown')
        throw new BackupFormatError('the backup holds no tables: it is an empty object');
      if (tables === 0)
        throw new BackupFormatError(
          `the backup holds no tables: expected "${RESTORED_TABLES.join('" or "')}"`,
        );
    },
  };
}

const unknownTable = (key: unknown) =>
  new BackupFormatError(
    `unknown table ${JSON.stringify(key)}: a backup holds only ${RESTORED_TABLES.map((t) => `"${t}"`).join(' and ')}`,
  );

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What stands, for the parser, for the elements of a table it did not read. */
const STAND_IN = Buffer.from('{}');
const STAND_IN_AFTER_VALUE = Buffer.from(',{}');

export interface TableEntriesOptions {
  /** The most bytes one element of a table may have (`DEFAULT_MAX_RECORD_BYTES`). */
  maxRecordBytes?: number;
}

/**
 * The elements of a backup's tables, in the order of the file, as its bytes arrive: those of each
 * chunk together, so memory holds a chunk's worth of records whatever the size of the file.
 * Throws a BackupFormatError as soon as the bytes stop being a backup, naming the byte offset
 * where the JSON breaks.
 */
export async function* tableEntries(
  chunks: AsyncIterable<Uint8Array | string>,
  options: TableEntriesOptions = {},
): AsyncGenerator<TableEntry[]> {
  let parsed: TableEntry[] = [];
  let standingIn = false;
  const shape = documentShape((entry) => {
    if (!standingIn) parsed.push(entry);
  });
  const parser = new JSONParser({ paths: EMITTED_PATHS });
  let tokenOffset = 0;
  parser.onToken = ({ offset }) => {
    tokenOffset = offset;
  };
  parser.onValue = (info) => shape.accept(info);
  let bytesRead = 0;
  let parserBytes = 0;
  /** The file's offset less the parser's, for the bytes it reads now (it does not read them all). */
  let shift = 0;
  const feed = (write: () => void) => {
    try {
      write();
    } catch (error) {
      throw asFormatError(error, tokenOffset, shift, bytesRead);
    }
  };
  const scanner = tableScanner(
    {
      verbatim(bytes, at) {
        shift = at - parserBytes;
        feed(() => parser.write(bytes));
        parserBytes += bytes.length;
      },
      standIn(afterValue) {
        const standIn = afterValue ? STAND_IN_AFTER_VALUE : STAND_IN;
        standingIn = true;
        try {
          feed(() => parser.write(standIn));
        } finally {
          standingIn = false;
        }
        parserBytes += standIn.length;
      },
      element: (path, value) => shape.tableElement(path, value),
    },
    { isTable: isTablePath, maxRecordBytes: options.maxRecordBytes },
  );
  const bytesOf = utf8Bytes();
  for await (const chunk of chunks) {
    scanner.write(bytesOf(chunk));
    bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (parsed.length === 0) continue;
    yield parsed;
    parsed = [];
  }
  scanner.end();
  // The parser ends by itself after the closing brace; a document cut short must be ended to tell.
  if (!parser.isEnded) feed(() => parser.end());
  shape.finish();
}

/** Chunks as bytes; a character cut between two string chunks is kept whole. */
function utf8Bytes() {
  let pendingSurrogate = '';
  return (chunk: Uint8Array | string): Buffer => {
    if (typeof chunk !== 'string')
      return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let text = pendingSurrogate + chunk;
    pendingSurrogate = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      pendingSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    return Buffer.from(text);
  };
}

function asFormatError(
  error: unknown,
  tokenOffset: number,
  shift: number,
  bytesRead: number,
): BackupFormatError {
  if (isBackupFormatError(error)) return error;
  // By its message: the decoder's TypeError comes from another realm than this module's under jest.
  const reason =
    typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  if (/ended in (mid-parsing|the middle of a token)/.test(reason))
    return new BackupFormatError(
      `the backup is not valid JSON: it ends after ${bytesRead} bytes, before the document does`,
    );
  // The tokenizer names the byte it refused; the token parser refuses a whole token, at its offset.
  const position = Number(/absolute position "(\d+)"/.exec(reason)?.[1] ?? tokenOffset) + shift;
  const what = reason.replace(/ at chunk position .* in state/, ' in state');
  return new BackupFormatError(`the backup is not valid JSON at byte ${position}: ${what}`);
}
