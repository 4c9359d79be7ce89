/* JSON read as bytes, without decoding it: where a string, an object or an array ends, however the
   chunks cut it. UTF-8 never uses these ASCII bytes inside a multi-byte character. */

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const LEFT_BRACE = 0x7b;
export const RIGHT_BRACE = 0x7d;
export const LEFT_BRACKET = 0x5b;
export const RIGHT_BRACKET = 0x5d;

export const isBlank = (byte: number): boolean =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** Bytes of numbers, `true`, `false` and `null` (and of some things that are not JSON). */
export const isBareScalarByte = (byte: number): boolean =>
  (byte >= 0x30 && byte <= 0x39) ||
  (byte >= 0x61 && byte <= 0x7a) ||
  (byte >= 0x41 && byte <= 0x5a) ||
  byte === 0x2d ||
  byte === 0x2b ||
  byte === 0x2e;

/** Where a scan stands at the end of a chunk, for the next one. */
export interface ValueScan {
  /** Objects and arrays open. */
  depth: number;
  inString: boolean;
  /** A backslash in a string ended the chunk: the next one's first byte is escaped. */
  escaped: boolean;
}

export const valueScan = (): ValueScan => ({ depth: 0, inString: false, escaped: false });

/**
 * The index after the last byte of the object or array that `scan` is in (or starts at `from`),
 * or -1 when it goes on after this chunk: `scan` then tells where it stands. The brackets are
 * counted, not matched: whether they match is for `JSON.parse` to say.
 */
export function valueEnd(buffer: Uint8Array, from: number, scan: ValueScan): number {
  const length = buffer.length;
  let index = from;
  let depth = scan.depth;
  let inString = scan.inString;
  if (scan.escaped) index += 1;
  for (; index < length; index += 1) {
    const byte = buffer[index]!;
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === LEFT_BRACE || byte === LEFT_BRACKET) depth += 1;
    else if ((byte === RIGHT_BRACE || byte === RIGHT_BRACKET) && --depth === 0) {
      Object.assign(scan, valueScan());
      return index + 1;
    }
  }
  scan.depth = depth;
  scan.inString = inString;
  scan.escaped = index > length;
  return -1;
}

/** The index after the closing quote of the string `scan` is in, from `from`, or -1 (see `valueEnd`). */
export function stringEnd(buffer: Uint8Array, from: number, scan: ValueScan): number {
  const length = buffer.length;
  let index = scan.escaped ? from + 1 : from;
  for (; index < length; index += 1) {
    const byte = buffer[index]!;
    if (byte === BACKSLASH) index += 1;
    else if (byte === QUOTE) {
      scan.escaped = false;
      return index + 1;
    }
  }
  scan.escaped = index > length;
  return -1;
}
