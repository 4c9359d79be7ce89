import type { FieldIssue } from './validation.js';

/**
 * What PostgreSQL refuses to store: NUL in `text` and `jsonb`, and a UTF-16 surrogate without its
 * other half in `jsonb` (JSON.stringify escapes it as `\udXXX`, which PostgreSQL's JSON parser rejects).
 */
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_TEXT_GLOBAL = new RegExp(UNSTORABLE_TEXT.source, 'g');

/** Nesting deeper than this is refused: no request of ours needs it, and deep values cost stack everywhere. */
export const MAX_JSON_DEPTH = 32;

/** Issues past this many are not listed: one bad value repeated 100,000 times is one message, not a megabyte. */
const MAX_ISSUES = 20;

export const isStorableText = (text: string): boolean => !UNSTORABLE_TEXT.test(text);

/** The text with every character PostgreSQL refuses replaced by U+FFFD (the replacement character). */
export const storableText = (text: string): string => text.replace(UNSTORABLE_TEXT_GLOBAL, '\uFFFD');

/** A copy of a JSON value whose every string and key PostgreSQL can store. */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map((entry) => storableJson(entry)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [storableText(key), storableJson(entry)]),
    ) as T;
  return value;
}

const fieldName = (path: readonly (string | number)[]): string =>
  path.length === 0
    ? '(root)'
    : path
        .map((key, position) => {
          if (typeof key === 'number') return `[${key}]`;
          const shown = isStorableText(key) ? key : JSON.stringify(storableText(key));
          return position === 0 ? shown : `.${shown}`;
        })
        .join('');

/**
 * Checks a parsed JSON value before its schema does: every string and key must be text PostgreSQL
 * can store, and nesting stays within `maxDepth`. Each issue names the field.
 */
export function unstorableJsonIssues(value: unknown, maxDepth = MAX_JSON_DEPTH): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (issues.length >= MAX_ISSUES) return;
    if (typeof node === 'string') {
      if (!isStorableText(node))
        issues.push({
          field: fieldName(path),
          message: 'must not contain NUL or unpaired surrogate characters',
        });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (path.length >= maxDepth) {
      issues.push({ field: fieldName(path), message: `nested deeper than ${maxDepth} levels` });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((entry, index) => visit(entry, [...path, index]));
      return;
    }
    for (const [key, entry] of Object.entries(node)) {
      if (!isStorableText(key)) {
        issues.push({
          field: fieldName([...path, key]),
          message: 'a key must not contain NUL or unpaired surrogate characters',
        });
        continue;
      }
      visit(entry, [...path, key]);
    }
  };
  visit(value, []);
  return issues;
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes of a value once serialized as JSON. */
export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value) ?? '');
