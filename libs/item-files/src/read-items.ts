import type { Readable } from 'node:stream';
import type { ItemSpec } from '@batch/contracts';
import { csvItems } from './csv-items.js';
import { jsonlItems } from './jsonl-items.js';

/** The two line formats of item lists: `batchctl create`'s files and the gateway's text bodies. */
export type ItemsFormat = 'jsonl' | 'csv';

/**
 * The items of a JSON Lines or CSV stream, parsed and validated as it is read; throws
 * ItemsFileError at the first bad line. An item without an id gets its line number.
 */
export const readItems = (input: Readable, format: ItemsFormat, file: string): AsyncGenerator<ItemSpec> =>
  format === 'jsonl' ? jsonlItems(input, file) : csvItems(input, file);
