import { describe, expect, it } from '@jest/globals';
import { costOf, formatUsd, priceOf, type PriceTable } from './model-prices.js';

const table: PriceTable = {
  models: {
    'gpt-4o': { inputUsdPerMillion: 2.5, outputUsdPerMillion: 10 },
    'gpt-4o-mini': { inputUsdPerMillion: 0.15, outputUsdPerMillion: 0.6 },
    'claude-sonnet-4': { inputUsdPerMillion: 3, outputUsdPerMillion: 15 },
    'claude-3-5-haiku': { inputUsdPerMillion: 0.8, outputUsdPerMillion: 4 },
  },
};

describe('priceOf', () => {
  it('finds a model by its exact name', () => {
    expect(priceOf(table, 'gpt-4o')).toBe(table.models['gpt-4o']);
    expect(priceOf(table, 'gpt-4o-mini')).toBe(table.models['gpt-4o-mini']);
  });

  it('prices a dated snapshot or a -latest alias as its model', () => {
    expect(priceOf(table, 'gpt-4o-2024-08-06')).toBe(table.models['gpt-4o']);
    expect(priceOf(table, 'gpt-4o-mini-2024-07-18')).toBe(table.models['gpt-4o-mini']);
    expect(priceOf(table, 'claude-sonnet-4-20250514')).toBe(table.models['claude-sonnet-4']);
    expect(priceOf(table, 'claude-3-5-haiku-latest')).toBe(table.models['claude-3-5-haiku']);
  });

  it('prices nothing else: another model sharing a prefix, or an unknown one, has no price', () => {
    expect(priceOf(table, 'gpt-4o-audio-preview')).toBeUndefined();
    expect(priceOf(table, 'gpt-4o-mini-tts')).toBeUndefined();
    expect(priceOf(table, 'claude-sonnet-4-5-20250929')).toBeUndefined();
    expect(priceOf(table, 'fake-1')).toBeUndefined();
    expect(priceOf(table, 'toString')).toBeUndefined();
  });

  it('prefers an entry of the dated name itself', () => {
    const dated = { inputUsdPerMillion: 5, outputUsdPerMillion: 15 };
    expect(priceOf({ models: { ...table.models, 'gpt-4o-2024-05-13': dated } }, 'gpt-4o-2024-05-13')).toBe(
      dated,
    );
  });
});

describe('costOf', () => {
  it('charges read and written tokens at their own price per million', () => {
    expect(costOf(table, 'gpt-4o', { promptTokens: 1_000_000, completionTokens: 0 })).toBe(2.5);
    expect(costOf(table, 'gpt-4o', { promptTokens: 0, completionTokens: 1_000_000 })).toBe(10);
    expect(costOf(table, 'gpt-4o-2024-08-06', { promptTokens: 1200, completionTokens: 300 })).toBeCloseTo(
      0.006,
      12,
    );
  });

  it('has no cost for a model without a price', () => {
    expect(costOf(table, 'fake-1', { promptTokens: 10, completionTokens: 5 })).toBeUndefined();
  });
});

describe('formatUsd', () => {
  it('shows at least cents and at most eight decimals', () => {
    expect(formatUsd(0.0123)).toBe('$0.0123');
    expect(formatUsd(0.01)).toBe('$0.01');
    expect(formatUsd(0.1 + 0.2)).toBe('$0.30');
    expect(formatUsd(0.0000015)).toBe('$0.0000015');
    expect(formatUsd(12)).toBe('$12.00');
  });
});
