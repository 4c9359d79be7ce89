import type { Readable } from 'node:stream';
import type { ItemSpec } from '@batch/contracts';
import { parse as parseCsv } from 'csv-parse';
import { ItemsFileError } from './items-file-error.js';
import { validItem } from './valid-item.js';

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
