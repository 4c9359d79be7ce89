import type { ProviderName } from '@batch/contracts';
import { ProviderError, type Provider } from './provider.js';
import { templateProvider } from './template.provider.js';

const unavailable = (name: string): Provider => ({
  generate: () =>
    Promise.reject(
      new ProviderError(
        'provider_unavailable',
        'permanent',
        `provider ${name} is not available in this worker`,
      ),
    ),
});

/** The provider a batch asks for. */
export const providerFor = (name: ProviderName): Provider =>
  name === 'template' ? templateProvider : unavailable(name);
