import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '@batch/contracts';
import { BatchCursor, decodeCursor, encodeCursor, ItemCursor } from './page-cursor.js';
import { progressPercent } from './batch-views.js';

describe('page cursors', () => {
  it('decode to the key they were made of', () => {
    const key = ['2026-11-23T10:00:00.000Z', 'batch-1'] as const;
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, BatchCursor)).toEqual(key);
    expect(decodeCursor(encodeCursor([42]), ItemCursor)).toEqual([42]);
  });

  it('refuse anything else as a validation error', () => {
    expect(() => decodeCursor('not a cursor', BatchCursor)).toThrow(ValidationError);
    expect(() => decodeCursor(encodeCursor(['yesterday', 'b']), BatchCursor)).toThrow(ValidationError);
    expect(() => decodeCursor(encodeCursor([-1]), ItemCursor)).toThrow(ValidationError);
  });

  it('refuse what PostgreSQL could not compare: a position past 32 bits, a NUL in a batch id', () => {
    expect(() => decodeCursor(encodeCursor([2_147_483_648]), ItemCursor)).toThrow(/cursor/);
    expect(() => decodeCursor('WzIxNDc0ODM2NDhd', ItemCursor)).toThrow(ValidationError);
    expect(decodeCursor(encodeCursor([2_147_483_647]), ItemCursor)).toEqual([2_147_483_647]);
    const withNul = encodeCursor(['2026-11-23T10:00:00.000Z', 'batch\u0000x']);
    expect(() => decodeCursor(withNul, BatchCursor)).toThrow(/NUL/);
  });
});

describe('progress percent', () => {
  it('is the settled share of all items, floored to one decimal', () => {
    expect(progressPercent(0, 0)).toBe(0);
    expect(progressPercent(1, 3)).toBe(33.3);
    expect(progressPercent(2, 3)).toBe(66.6);
    expect(progressPercent(1999, 2000)).toBe(99.9);
    expect(progressPercent(2000, 2000)).toBe(100);
  });
});
