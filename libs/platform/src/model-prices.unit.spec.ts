import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { costOf } from '@batch/contracts';
import { loadPriceTable } from './model-prices.js';
import { baseSettings, parseSettings, SettingsError } from './settings.js';

const directory = mkdtempSync(join(tmpdir(), 'prices-'));
const file = (name: string, text: string): string => {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
};

describe('the price table', () => {
  it('ships list prices of the well-known models', () => {
    const { models } = loadPriceTable();
    expect(models['gpt-4o']).toEqual({ inputUsdPerMillion: 2.5, outputUsdPerMillion: 10 });
    expect(models['gpt-4o-mini']).toEqual({ inputUsdPerMillion: 0.15, outputUsdPerMillion: 0.6 });
    expect(models['claude-sonnet-4']).toEqual({ inputUsdPerMillion: 3, outputUsdPerMillion: 15 });
    // The providers' default models are priced, so a budget works without naming a model.
    expect(
      costOf(loadPriceTable(), 'claude-3-5-haiku-latest', { promptTokens: 1e6, completionTokens: 0 }),
    ).toBe(0.8);
  });

  it("merges the operator's file over the defaults, model by model", () => {
    const overrides = file(
      'ours.json',
      JSON.stringify({
        models: {
          'gpt-4o': { inputUsdPerMillion: 1, outputUsdPerMillion: 2 },
          'llama-3.1-70b': { inputUsdPerMillion: 0.2, outputUsdPerMillion: 0.2 },
        },
      }),
    );
    const { models } = loadPriceTable(overrides);
    expect(models['gpt-4o']).toEqual({ inputUsdPerMillion: 1, outputUsdPerMillion: 2 });
    expect(models['llama-3.1-70b']).toEqual({ inputUsdPerMillion: 0.2, outputUsdPerMillion: 0.2 });
    expect(models['gpt-4o-mini']).toEqual({ inputUsdPerMillion: 0.15, outputUsdPerMillion: 0.6 });
  });

  it('is a setting: MODEL_PRICES_FILE parsed at start, a bad file stops the service naming it', () => {
    const good = file(
      'good.json',
      JSON.stringify({ models: { 'fake-1': { inputUsdPerMillion: 1, outputUsdPerMillion: 1 } } }),
    );
    expect(
      parseSettings(baseSettings, { MODEL_PRICES_FILE: good }).MODEL_PRICES_FILE.models['fake-1'],
    ).toBeDefined();
    expect(parseSettings(baseSettings, {}).MODEL_PRICES_FILE.models['gpt-4o']).toBeDefined();

    const bad = {
      'not JSON': file('broken.json', '{"models": {'),
      'models.x.inputUsdPerMillion': file(
        'negative.json',
        '{"models": {"x": {"inputUsdPerMillion": -1, "outputUsdPerMillion": 1}}}',
      ),
      'models.x': file('typo.json', '{"models": {"x": {"inputUsdPerMillion": 1, "outputUsdPerMilion": 1}}}'),
      ENOENT: join(directory, 'missing.json'),
    };
    for (const [problem, path] of Object.entries(bad)) {
      const parse = () => parseSettings(baseSettings, { MODEL_PRICES_FILE: path });
      expect(parse).toThrow(SettingsError);
      expect(parse).toThrow(`MODEL_PRICES_FILE: ${path}: `);
      expect(parse).toThrow(problem);
    }
  });
});
