import { z } from 'zod';
import type { TokenUsage } from './batch-events.js';
import type { ProviderName } from './batch-config.js';

/** A model's list price in US dollars per 1,000,000 tokens, read (prompt) and written (completion). */
export const ModelPrice = z.strictObject({
  inputUsdPerMillion: z.number().nonnegative().max(1_000_000),
  outputUsdPerMillion: z.number().nonnegative().max(1_000_000),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

/** Prices by model name, as the shipped defaults and an operator's MODEL_PRICES_FILE write them. */
export const PriceTable = z.strictObject({
  /** Where the prices come from and when they were read: for people, not read by the code. */
  note: z.string().max(2000).optional(),
  models: z.record(z.string().min(1).max(200), ModelPrice),
});
export type PriceTable = z.infer<typeof PriceTable>;

/** `gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`, `claude-3-5-haiku-latest`: a snapshot or alias of a model. */
const DATED_VARIANT = /^(.+)-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

/**
 * A model's price: its own entry, else the entry of the model it is a dated snapshot (or `-latest`
 * alias) of. Nothing else matches: `gpt-4o-audio-preview` is not priced as `gpt-4o`, and a model
 * without a price has no cost rather than a wrong one.
 */
export function priceOf(table: PriceTable, model: string): ModelPrice | undefined {
  const own = Object.hasOwn(table.models, model) ? table.models[model] : undefined;
  if (own) return own;
  const base = DATED_VARIANT.exec(model)?.[1];
  return base !== undefined && Object.hasOwn(table.models, base) ? table.models[base] : undefined;
}

/** The estimated cost of one call in US dollars; undefined when the model has no price. */
export function costOf(table: PriceTable, model: string, usage: TokenUsage): number | undefined {
  const price = priceOf(table, model);
  if (!price) return undefined;
  return (
    (usage.promptTokens * price.inputUsdPerMillion + usage.completionTokens * price.outputUsdPerMillion) / 1e6
  );
}

/**
 * Providers that report the tokens of each call, with the model they call when a batch names none
 * (their workers' defaults): only their batches can be priced, so only theirs need a price for a budget.
 */
export const METERED_PROVIDERS: Partial<Record<ProviderName, { defaultModel: string }>> = {
  openai: { defaultModel: 'gpt-4o-mini' },
  anthropic: { defaultModel: 'claude-3-5-haiku-latest' },
};

/** The reason a batch pauses for when its estimated spend reached `config.maxCostUsd`. */
export const BUDGET_EXHAUSTED = 'budget_exhausted';

/** A sum of estimates as a view shows it: to a billionth of a dollar, without the sum's float noise. */
export const roundUsd = (amount: number): number => Math.round(amount * 1e9) / 1e9;

/** Dollars as the budget's messages show them: up to 8 decimals, at least 2 (`$0.0123`, `$0.01`). */
export const formatUsd = (amount: number): string => `$${amount.toFixed(8).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
