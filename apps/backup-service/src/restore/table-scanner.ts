import { isUtf8 } from 'node:buffer';
import { BackupFormatError } from './backup-format-error.js';
import {
  COMMA,
  isBareScalarByte,
  isBlank,
  LEFT_BRACE,
  LEFT_BRACKET,
  QUOTE,
  RIGHT_BRACE,
  RIGHT_BRACKET,
  stringEnd,
  valueEnd,
  valueScan,
} from './json-bytes.js';

/**
 * The most bytes one element of a table may have; also the most the rest of the document may have
 * between two tables. A v1.0 conversation holds all its turns: a long one has a few megabytes.
 */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 2 ** 20;

/** Where the scanner sends the document: the streaming parser reads all but the tables' elements. */
export interface TableScannerSink {
  /** Bytes for the streaming parser, as they are in the file; `at` is the offset of the first. */
  verbatim(bytes: Uint8Array, at: number): void;
  /**
   * One value that stands, for the streaming parser, for the elements of the table it did not read
   * (after a comma when `afterValue`): written before the parser reads on inside that table.
   */
  standIn(afterValue: boolean): void;
  /** An element of a table, parsed; `path` names the table from the root, e.g. `['conversations']`. */
  element(path: readonly string[], value: unknown): void;
}

export interface TableScannerOptions {
  /** Whether the array at this path (one or two keys from the root, each in an object) is a table. */
  isTable(path: readonly string[]): boolean;
  maxRecordBytes?: number;
}

export interface TableScanner {
  write(chunk: Buffer): void;
  /** The input is over: an element begun and not ended goes to the parser, to tell how it ends. */
  end(): void;
}

const COMMA_BYTES = Buffer.from(',');

const Mode = { skeleton: 0, table: 1, element: 2, stringScalar: 3, bareScalar: 4, passthrough: 5 } as const;
type Mode = (typeof Mode)[keyof typeof Mode];
/** What the parser last read inside the table: its `[`, a value, or a comma. */
const View = { open: 0, value: 1, comma: 2 } as const;
type View = (typeof View)[keyof typeof View];

/**
 * Splits a JSON document, as its bytes arrive, between a streaming parser, which reads all of it
 * but the elements of its tables (the document's fields, the tables' brackets and commas), and
 * `JSON.parse`, native and many times faster, which parses each object or array element whole once
 * its bytes are found (`valueEnd`) and `isUtf8` says the parser would take them. Memory holds one
 * element at a time. Whatever is not as expected (a scalar element, a byte out of place, an element
 * `JSON.parse` refuses) goes to the parser as it is, after a stand-in for the elements it did not
 * read: so a document that is not JSON is refused by the parser, in its words, as if it had read
 * all of it.
 */
export function tableScanner(
  sink: TableScannerSink,
  { isTable, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES }: TableScannerOptions,
): TableScanner {
  let mode: Mode = Mode.skeleton;
  /** The offset in the file of the chunk being scanned. */
  let offset = 0;

  // Outside the tables: the containers open around the scan, and the keys of the first two levels.
  const containers: number[] = [];
  const keys: (string | undefined)[] = [];
  let expectKey = false;
  let inString = false;
  let keyFrom = -1;
  let keyPieces: Buffer[] = [];
  let outsideBytes = 0;

  // In a table.
  let tablePath: readonly string[] = [];
  let afterElement = false;
  let view: View = View.open;
  /** Elements handed out since the parser last read inside the table. */
  let skipped = 0;
  /** The offset of a comma read and not yet given to the parser, or -1. */
  let commaAt = -1;

  // In an element of a table (an object or an array, or a scalar the parser reads).
  const scan = valueScan();
  let elementAt = 0;
  let elementFrom = 0;
  let elementPieces: Buffer[] = [];
  let elementBytes = 0;

  const tooLarge = (what: string, at: number) =>
    new BackupFormatError(
      `${what} at byte ${at} has more than ${maxRecordBytes} bytes: a restore holds one record at a time, of at most that size`,
    );
  const countOutside = (bytes: number) => {
    outsideBytes += bytes;
    if (outsideBytes > maxRecordBytes) throw tooLarge('the backup outside its tables', offset);
  };
  const countElement = (bytes: number) => {
    elementBytes += bytes;
    if (elementBytes > maxRecordBytes) throw tooLarge(`the record of "${tablePath.at(-1)}"`, elementAt);
  };

  const tablePathAt = (): readonly string[] | undefined => {
    const level = containers.length;
    if (level < 1 || level > 2 || containers.some((container) => container !== LEFT_BRACE)) return undefined;
    const path = keys.slice(0, level);
    return path.every((key) => key !== undefined) && isTable(path as string[])
      ? (path as string[])
      : undefined;
  };

  const keyRead = (buffer: Buffer, end: number) => {
    const raw = Buffer.concat([...keyPieces, buffer.subarray(keyFrom, end)]).toString();
    keyPieces = [];
    keyFrom = -1;
    let key: unknown;
    try {
      key = JSON.parse(raw);
    } catch {
      // Not a string the parser takes either: it says so when it reads it.
    }
    keys[containers.length - 1] = typeof key === 'string' ? key : undefined;
  };

  /** The document outside its tables: to the parser, watched for the opening of a table. */
  const skeleton = (buffer: Buffer, from: number): number => {
    const runTo = (end: number) => {
      countOutside(end - from);
      if (end > from) sink.verbatim(buffer.subarray(from, end), offset + from);
    };
    for (let index = from; index < buffer.length; index += 1) {
      if (inString) {
        const end = stringEnd(buffer, index, scan);
        if (end < 0) break;
        inString = false;
        if (keyFrom >= 0) keyRead(buffer, end);
        index = end - 1;
        continue;
      }
      const byte = buffer[index]!;
      if (byte === QUOTE) {
        inString = true;
        if (expectKey && containers.length <= 2) keyFrom = index;
        expectKey = false;
      } else if (byte === LEFT_BRACE) {
        containers.push(byte);
        if (containers.length <= 2) keys[containers.length - 1] = undefined;
        expectKey = true;
      } else if (byte === LEFT_BRACKET) {
        const path = tablePathAt();
        containers.push(byte);
        expectKey = false;
        if (path !== undefined) {
          runTo(index + 1);
          startTable(path);
          return index + 1;
        }
      } else if (byte === RIGHT_BRACE || byte === RIGHT_BRACKET) {
        containers.pop();
        expectKey = false;
      } else if (byte === COMMA) expectKey = containers.at(-1) === LEFT_BRACE;
    }
    if (keyFrom >= 0) {
      keyPieces.push(buffer.subarray(keyFrom));
      keyFrom = 0;
    }
    runTo(buffer.length);
    return buffer.length;
  };

  const startTable = (path: readonly string[]) => {
    mode = Mode.table;
    tablePath = path;
    afterElement = false;
    view = View.open;
    skipped = 0;
    commaAt = -1;
  };

  /** Before the parser reads inside the table: what it did not read, as far as it must know. */
  const catchUp = () => {
    if (skipped > 0) {
      sink.standIn(view === View.value);
      view = View.value;
      skipped = 0;
    }
    if (commaAt >= 0) {
      sink.verbatim(COMMA_BYTES, commaAt);
      view = View.comma;
      commaAt = -1;
    }
  };

  /** Between the elements of a table: blanks, commas, and where the next element starts. */
  const table = (buffer: Buffer, from: number): number => {
    for (let index = from; index < buffer.length; index += 1) {
      const byte = buffer[index]!;
      if (isBlank(byte)) continue;
      if (afterElement) {
        if (byte === COMMA) {
          afterElement = false;
          commaAt = offset + index;
          continue;
        }
        if (byte === RIGHT_BRACKET) return closeTable(buffer, index);
        return passthrough(buffer, index);
      }
      if (byte === LEFT_BRACE || byte === LEFT_BRACKET) return startElement(buffer, index);
      if (byte === RIGHT_BRACKET) return closeTable(buffer, index);
      if (byte !== QUOTE && !isBareScalarByte(byte)) return passthrough(buffer, index);
      catchUp();
      mode = byte === QUOTE ? Mode.stringScalar : Mode.bareScalar;
      elementAt = offset + index;
      elementBytes = 0;
      return byte === QUOTE ? stringScalar(buffer, index + 1, index) : bareScalar(buffer, index);
    }
    return buffer.length;
  };

  const closeTable = (buffer: Buffer, index: number): number => {
    catchUp();
    sink.verbatim(buffer.subarray(index, index + 1), offset + index);
    containers.pop();
    expectKey = false;
    outsideBytes = 0;
    mode = Mode.skeleton;
    return index + 1;
  };

  const passthrough = (buffer: Buffer, index: number): number => {
    catchUp();
    mode = Mode.passthrough;
    return passthroughRun(buffer, index);
  };

  /** Not a backup from here on (the parser refuses it soon): all to the parser, as it is. */
  const passthroughRun = (buffer: Buffer, from: number): number => {
    countOutside(buffer.length - from);
    sink.verbatim(buffer.subarray(from), offset + from);
    return buffer.length;
  };

  const scalarRun = (buffer: Buffer, from: number, end: number) => {
    countElement(end - from);
    if (end > from) sink.verbatim(buffer.subarray(from, end), offset + from);
  };

  /** A string element, to the parser; `runFrom` is where its bytes in this chunk start. */
  const stringScalar = (buffer: Buffer, from: number, runFrom = from): number => {
    const end = stringEnd(buffer, from, scan);
    scalarRun(buffer, runFrom, end < 0 ? buffer.length : end);
    if (end < 0) return buffer.length;
    mode = Mode.table;
    afterElement = true;
    view = View.value;
    return end;
  };

  /**
   * A number, `true`, `false` or `null`, to the parser, and the byte after it: the parser reads a
   * number only once that byte comes, and must read it before the elements after it.
   */
  const bareScalar = (buffer: Buffer, from: number): number => {
    let end = from;
    while (end < buffer.length && isBareScalarByte(buffer[end]!)) end += 1;
    scalarRun(buffer, from, end);
    if (end === buffer.length) return end;
    const byte = buffer[end]!;
    mode = Mode.table;
    afterElement = true;
    view = View.value;
    if (byte === RIGHT_BRACKET) return closeTable(buffer, end);
    if (byte !== COMMA && !isBlank(byte)) return passthrough(buffer, end);
    sink.verbatim(buffer.subarray(end, end + 1), offset + end);
    if (byte === COMMA) {
      afterElement = false;
      view = View.comma;
    }
    return end + 1;
  };

  const startElement = (buffer: Buffer, index: number): number => {
    mode = Mode.element;
    elementAt = offset + index;
    elementFrom = index;
    elementPieces = [];
    elementBytes = 0;
    return element(buffer, index);
  };

  /** An object or array element: found whole, then parsed and handed out. */
  const element = (buffer: Buffer, from: number): number => {
    const end = valueEnd(buffer, from, scan);
    countElement((end < 0 ? buffer.length : end) - elementFrom);
    if (end < 0) {
      elementPieces.push(buffer.subarray(elementFrom));
      elementFrom = 0;
      return buffer.length;
    }
    const bytes =
      elementPieces.length === 0
        ? buffer.subarray(elementFrom, end)
        : Buffer.concat([...elementPieces, buffer.subarray(elementFrom, end)]);
    elementPieces = [];
    mode = Mode.table;
    afterElement = true;
    let value: unknown;
    try {
      // The parser refuses bytes that are not UTF-8, where decoding would replace them.
      if (!isUtf8(bytes)) throw new TypeError('not UTF-8');
      value = JSON.parse(bytes.toString());
    } catch {
      catchUp();
      sink.verbatim(bytes, elementAt);
      view = View.value;
      mode = Mode.passthrough;
      return end;
    }
    commaAt = -1;
    skipped += 1;
    sink.element(tablePath, value);
    return end;
  };

  return {
    write(chunk) {
      let index = 0;
      while (index < chunk.length) {
        switch (mode) {
          case Mode.skeleton:
            index = skeleton(chunk, index);
            break;
          case Mode.table:
            index = table(chunk, index);
            break;
          case Mode.element:
            index = element(chunk, index);
            break;
          case Mode.stringScalar:
            index = stringScalar(chunk, index);
            break;
          case Mode.bareScalar:
            index = bareScalar(chunk, index);
            break;
          case Mode.passthrough:
            index = passthroughRun(chunk, index);
            break;
        }
      }
      offset += chunk.length;
    },
    end() {
      if (mode !== Mode.element) return;
      catchUp();
      sink.verbatim(Buffer.concat(elementPieces), elementAt);
      elementPieces = [];
    },
  };
}
