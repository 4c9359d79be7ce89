import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { ItemSpec } from '@batch/contracts';
import { readItems, type ItemsFormat } from '@batch/item-files';

// The parsing is shared with the gateway's CSV and JSON Lines bodies (`@batch/item-files`).
export { csvItems, ItemsFileError, jsonlItems, type ItemsFormat } from '@batch/item-files';

export interface ItemsFile {
  /** The items, parsed and validated as the file is read; throws ItemsFileError at a bad line. */
  items: AsyncGenerator<ItemSpec>;
  size: number;
  /** Bytes read from the file so far, for progress. */
  bytesRead(): number;
}

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
  return { items: readItems(input, format, basename(path)), size, bytesRead: () => input.bytesRead };
}
