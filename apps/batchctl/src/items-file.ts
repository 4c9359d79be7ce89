import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ItemSpec, itemBytes, MAX_ITEM_BYTES, validate } from '@batch/contracts';
import { parse as parseCsv } from 'csv-parse';

/** A line of an items file that is not a valid item; the upload stops there. */
export class ItemsFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ItemsFileError';
  }
}

export interface ItemsFile {
  /** The items, parsed and validated as the file is read; throws ItemsFileError at a bad line. */
  items: AsyncGenerator<ItemSpec>;
  size: number;
  /** Bytes read from the file so far, for progress. */
  bytesRead(): number;
}

export type ItemsFormat = 'jsonl' | 'csv';

export function formatOf(path: string): ItemsFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  if (extension === '.csv') return 'csv';
  throw new Error(`${basename(path)}: expected a .jsonl, .ndjson or .csv file`);
}

/** Opens an items file for streaming: only the current line or record is held at a time. */
export async function openItemsFile(path: string): Promise<ItemsFile> {
  const format = formatOf(path);
  const { size } = await stat(path);
  const input = createReadStream(path);
  await once(input, 'open');
  const name = basename(path);
  return {
    items: format === 'jsonl' ? jsonlItems(input, name) : csvItems(input, name),
    size,
    bytesRead: () => input.bytesRead,
  };
}

/** Keys an item may have: anything else is likely a typo that would silently be lost. */
const ITEM_KEYS = new Set(['id', 'topic', 'parameters']);

/** JSON Lines: one `{id?, topic, parameters?}` per line; blank lines are skipped. */
export async function* jsonlItems(input: Readable, file: string): AsyncGenerator<ItemSpec> {
  let line = 0;
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line += 1;
      if (text.trim() === '') continue;
      const fail = (reason: string) => new ItemsFileError(file, line, reason);
      yield validItem(jsonObjectOf(text, fail), line, fail);
    }
  } finally {
    // Also when the reader stops early (a failed upload): the file is not read further.
    input.destroy();
  }
}

function jsonObjectOf(text: string, fail: (reason: string) => Error): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw fail(`not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail('expected an object {"id", "topic", "parameters"?}');
  const unknownKey = Object.keys(value).find((key) => !ITEM_KEYS.has(key));
  if (unknownKey !== undefined)
    throw fail(`unknown field "${unknownKey}" (an item has id, topic, parameters)`);
  return value as Record<string, unknown>;
}

/**
 * CSV with a header: `topic` is required, `id` optional; every other column is a parameter (an
 * empty cell is an absent parameter). The line of a record is the line it starts on.
 */
export async function* csvItems(input: Readable, file: string): AsyncGenerator<ItemSpec> {
  const parser = parseCsv({ info: true, bom: true, skip_empty_lines: true });
  input.on('error', (error) => parser.destroy(error));
  let header: string[] | undefined;
  const seen = { lines: 0, emptyLines: 0 };
  try {
    for await (const { record, info } of input.pipe(parser) as AsyncIterable<CsvRecord>) {
      // csv-parse tells where a record ends; it starts after the previous one and the blank lines between.
      const line = seen.lines + 1 + (info.empty_lines - seen.emptyLines);
      Object.assign(seen, { lines: info.lines, emptyLines: info.empty_lines });
      const fail = (reason: string) => new ItemsFileError(file, line, reason);
      if (header === undefined) header = checkedHeader(record, fail);
      else yield validItem(fieldsOfRow(header, record), line, fail);
    }
  } catch (error) {
    if (error instanceof ItemsFileError) throw error;
    const csvLine = (error as { lines?: unknown }).lines;
    throw new ItemsFileError(
      file,
      typeof csvLine === 'number' ? csvLine : seen.lines,
      (error as Error).message,
    );
  } finally {
    input.destroy();
  }
  if (header === undefined) throw new ItemsFileError(file, 1, 'empty file: expected a header with "topic"');
}

interface CsvRecord {
  record: string[];
  info: { lines: number; empty_lines: number };
}

function fieldsOfRow(header: string[], record: string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const parameters: Record<string, string> = {};
  header.forEach((column, index) => {
    const cell = record[index] ?? '';
    if (column === 'id' || column === 'topic') fields[column] = cell === '' ? undefined : cell;
    else if (cell !== '') parameters[column] = cell;
  });
  if (Object.keys(parameters).length > 0) fields['parameters'] = parameters;
  return fields;
}

function checkedHeader(record: string[], fail: (reason: string) => Error): string[] {
  const header = record.map((column) => column.trim());
  if (!header.includes('topic')) throw fail(`the header needs a "topic" column (found ${header.join(', ')})`);
  const repeated = header.find((column, index) => header.indexOf(column) !== index);
  if (repeated !== undefined) throw fail(`column "${repeated}" appears twice in the header`);
  if (header.includes('')) throw fail('the header has an unnamed column');
  return header;
}

/** A numeric id is taken as its text; a missing one is the line number. */
function validItem(fields: Record<string, unknown>, line: number, fail: (reason: string) => Error): ItemSpec {
  const id = fields['id'] ?? String(line);
  const result = validate(ItemSpec, { ...fields, id: typeof id === 'number' ? String(id) : id });
  if (!result.success)
    throw fail(result.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '));
  if (itemBytes(result.data) > MAX_ITEM_BYTES) throw fail(`the item is over ${MAX_ITEM_BYTES} bytes as JSON`);
  return result.data;
}
