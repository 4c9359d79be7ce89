import type { ProviderName } from '@batch/contracts';
import { anthropicProvider } from './anthropic.provider.js';
import { openAiProvider } from './openai.provider.js';
import type { Provider } from './provider.js';
import { templateProvider } from './template.provider.js';

/** The providers of this worker, by the name a batch's config gives. */
export const PROVIDERS = Symbol('PROVIDERS');

/** The providers a batch may name, each made once per worker (the keys come from its environment). */
export const providerRegistry = (
  env: NodeJS.ProcessEnv,
  credentials: ReadonlySet<string>,
): Record<ProviderName, Provider> => ({
  template: templateProvider,
  openai: openAiProvider(env, credentials),
  anthropic: anthropicProvider(env, credentials),
});
