import type { ItemsFormat } from '@batch/item-files';
import { ApiError } from '../http/api-error.js';
import type { ItemBodyKind } from './parse-item-body.js';

/** How a body of items is written: JSON (every item route), or JSON Lines and CSV (add items only). */
export type ItemBodyMedia = 'json' | ItemsFormat;

const LINE_FORMATS: Record<string, ItemsFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
};

const JSON_TYPE = /^application\/([\w.+-]*\+)?json$/;
/** The line formats are read as UTF-8 (a byte order mark is skipped). */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

const ADD_ITEMS_TAKES =
  'POST /api/v1/batches/{id}/items takes application/json, text/csv or application/x-ndjson (application/jsonl)';

/**
 * The media of an item body from its Content-Type; without one it is JSON. Add items takes JSON,
 * JSON Lines and CSV, and refuses anything else with a 415. Create and seed 002's start read any
 * other type as JSON, as they always have, but send JSON Lines and CSV to add items (415).
 */
export function itemBodyMediaOf(kind: ItemBodyKind, contentType: string | undefined): ItemBodyMedia {
  const [type = '', ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  if (type === '' || JSON_TYPE.test(type)) return 'json';
  const format = LINE_FORMATS[type];
  if (kind !== 'add-items') {
    if (format === undefined) return 'json';
    throw new ApiError(
      'unsupported_media_type',
      `${type} items go to POST /api/v1/batches/{id}/items: create the batch with JSON {name, config, items: [], autoStart: false}, add its items, then POST /api/v1/batches/{id}/start`,
    );
  }
  if (format === undefined)
    throw new ApiError(
      'unsupported_media_type',
      `unsupported content type ${type.slice(0, 100)}: ${ADD_ITEMS_TAKES}`,
    );
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length);
  if (charset !== undefined && !UTF8_CHARSETS.has(charset.replace(/"/g, '')))
    throw new ApiError(
      'unsupported_media_type',
      `${type} bodies are read as UTF-8, not ${charset.slice(0, 40)}`,
    );
  return format;
}
