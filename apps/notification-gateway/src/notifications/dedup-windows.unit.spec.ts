import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DedupWindows } from './dedup-windows.js';

describe('DedupWindows', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('admits the first of a key, counts repeats in its window and tells them when it closes', () => {
    const told: [string, number, string][] = [];
    const windows = new DedupWindows<string>(5_000, (entry, repeats, lastAt) =>
      told.push([entry, repeats, lastAt]),
    );
    expect(windows.admit('u1:rate', 'first', 1, 't0')).toBe(true);
    expect(windows.admit('u1:rate', 'second', 3, 't1')).toBe(false);
    expect(windows.admit('u2:rate', 'other user', 1, 't1')).toBe(true);
    jest.advanceTimersByTime(4_999);
    expect(told).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(told).toEqual([['first', 3, 't1']]);
    // A new window opened on the repeats: a repeat now is counted, not told at once.
    expect(windows.admit('u1:rate', 'third', 1, 't2')).toBe(false);
    jest.advanceTimersByTime(5_000);
    expect(told).toEqual([
      ['first', 3, 't1'],
      ['first', 1, 't2'],
    ]);
    // A window without repeats closes for good: the next one is a first again.
    jest.advanceTimersByTime(5_000);
    expect(windows.size).toBe(0);
    expect(windows.admit('u1:rate', 'later', 1, 't3')).toBe(true);
    windows.clear();
  });
});
