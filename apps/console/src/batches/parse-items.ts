import type { ItemSpec } from '@batch/client';

export type ItemsFormat = 'jsonl' | 'csv';

export interface ParsedItems {
  items: ItemSpec[];
  /** Line-numbered problems; none means every line became an item. */
  errors: string[];
  format: ItemsFormat;
}

const MAX_ERRORS = 20;

/** JSONL when the first non-blank character opens an object, CSV otherwise. */
export function detectFormat(text: string, fileName?: string): ItemsFormat {
  if (fileName?.toLowerCase().endsWith('.csv')) return 'csv';
  if (fileName?.toLowerCase().match(/\.(jsonl|ndjson|json)$/)) return 'jsonl';
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

export function parseItems(text: string, format: ItemsFormat = detectFormat(text)): ParsedItems {
  return format === 'jsonl' ? parseJsonl(text) : parseCsv(text);
}

/** One `{id, topic, parameters?}` per line (blank lines skipped). */
export function parseJsonl(text: string): ParsedItems {
  const items: ItemSpec[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const where = `line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      pushError(errors, `${where}: not JSON`);
      continue;
    }
    const item = itemOf(value, where, errors, seen);
    if (item) items.push(item);
  }
  return { items, errors, format: 'jsonl' };
}

/** A header `id,topic,...`: the other columns become each item's parameters. */
export function parseCsv(text: string): ParsedItems {
  const rows = csvRows(text);
  const errors: string[] = [];
  const items: ItemSpec[] = [];
  const header = rows.shift()?.map((cell) => cell.trim());
  if (!header || header.every((cell) => cell === ''))
    return { items, errors: ['the CSV is empty'], format: 'csv' };
  const idColumn = header.indexOf('id');
  const topicColumn = header.indexOf('topic');
  if (idColumn === -1 || topicColumn === -1)
    return { items, errors: ['the CSV header must name the columns id and topic'], format: 'csv' };
  const seen = new Set<string>();
  for (const [index, row] of rows.entries()) {
    if (row.length === 1 && row[0].trim() === '') continue;
    const where = `row ${index + 2}`;
    const parameters: Record<string, string> = {};
    for (const [column, name] of header.entries())
      if (
        column !== idColumn &&
        column !== topicColumn &&
        name !== '' &&
        row[column] !== undefined &&
        row[column] !== ''
      )
        parameters[name] = row[column];
    const value = {
      id: row[idColumn],
      topic: row[topicColumn],
      ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
    };
    const item = itemOf(value, where, errors, seen);
    if (item) items.push(item);
  }
  return { items, errors, format: 'csv' };
}

function itemOf(value: unknown, where: string, errors: string[], seen: Set<string>): ItemSpec | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    pushError(errors, `${where}: not an object`);
    return undefined;
  }
  const { id, topic, parameters } = value as Record<string, unknown>;
  const itemId = typeof id === 'number' ? String(id) : id;
  if (typeof itemId !== 'string' || itemId.trim() === '')
    return void pushError(errors, `${where}: id is missing`);
  if (typeof topic !== 'string' || topic.trim() === '')
    return void pushError(errors, `${where}: topic is missing`);
  if (
    parameters !== undefined &&
    (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
  )
    return void pushError(errors, `${where}: parameters must be an object`);
  if (seen.has(itemId)) return void pushError(errors, `${where}: id ${itemId} is used twice`);
  seen.add(itemId);
  return { id: itemId, topic, ...(parameters ? { parameters: parameters as Record<string, unknown> } : {}) };
}

function pushError(errors: string[], message: string): void {
  if (errors.length < MAX_ERRORS) errors.push(message);
  else if (errors.length === MAX_ERRORS) errors.push('… and more');
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    if (quoted) {
      if (char === '"' && text[at + 1] === '"') {
        field += '"';
        at++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[at + 1] === '\n') at++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
