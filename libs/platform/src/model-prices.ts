import { readFileSync } from 'node:fs';
import { PriceTable } from '@batch/contracts';
import type { z } from 'zod';

const DEFAULT_PRICES = new URL('./model-prices.json', import.meta.url);

function readTable(file: string | URL): PriceTable {
  const text = readFileSync(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  const parsed = PriceTable.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new Error(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`).join('; '),
  );
}

/**
 * The price table: the shipped defaults (model-prices.json), with the operator's file merged over
 * them model by model (an entry replaces the default of that name, others are added).
 */
export function loadPriceTable(overrides?: string): PriceTable {
  const defaults = readTable(DEFAULT_PRICES);
  if (overrides === undefined) return defaults;
  const operator = readTable(overrides);
  return { ...defaults, models: { ...defaults.models, ...operator.models } };
}

/** MODEL_PRICES_FILE as a setting: parsed into the merged table at start; a bad file stops the service naming it. */
export function priceTableSetting(file: string | undefined, ctx: z.RefinementCtx): PriceTable {
  try {
    return loadPriceTable(file);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `${file ?? 'model-prices.json'}: ${(error as Error).message}` });
    return { models: {} };
  }
}
