import { describe, expect, it } from '@jest/globals';
import { estimateCallMs, FIRST_MESSAGE_ITEMS, itemsPerMessage } from './work-message-size.js';

const sizing = { max: 100, targetMs: 250 };

describe('work message sizing', () => {
  it('starts with a few items until calls have been timed', () => {
    expect(itemsPerMessage(undefined, sizing)).toBe(FIRST_MESSAGE_ITEMS);
    expect(itemsPerMessage(undefined, { max: 4, targetMs: 250 })).toBe(4);
  });

  it('fills messages up to the most for fast calls, even calls of 0 ms', () => {
    expect(itemsPerMessage(0, sizing)).toBe(100);
    expect(itemsPerMessage(2, sizing)).toBe(100);
    expect(itemsPerMessage(5, sizing)).toBe(50);
  });

  it('sends slow calls one or a few at a time', () => {
    expect(itemsPerMessage(100, sizing)).toBe(2);
    expect(itemsPerMessage(1_500, sizing)).toBe(1);
  });

  it('keeps the configured size when sizing is off', () => {
    expect(itemsPerMessage(1_500, { max: 10, targetMs: 0 })).toBe(10);
    expect(itemsPerMessage(undefined, { max: 10, targetMs: 0 })).toBe(10);
  });

  it('estimates a call from its first sample, then moves towards newer ones', () => {
    expect(estimateCallMs(undefined, [])).toBeUndefined();
    expect(estimateCallMs(undefined, [100, 300])).toBe(200);
    expect(estimateCallMs(200, [])).toBe(200);
    const next = estimateCallMs(200, [1_000])!;
    expect(next).toBeGreaterThan(200);
    expect(next).toBeLessThan(1_000);
  });
});
