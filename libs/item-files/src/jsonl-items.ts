import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ItemSpec } from '@batch/contracts';
import { ItemsFileError } from './items-file-error.js';
import { validItem } from './valid-item.js';

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
    // Also when the reader stops early (a failed upload): the input is not read further.
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
