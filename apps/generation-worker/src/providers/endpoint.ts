import { METERED_PROVIDERS, type BatchConfig } from '@batch/contracts';
import type { Route } from './provider.js';
import { keyFor } from './provider-failures.js';

/** A call that has not answered after this long fails as ERR_API_TIMEOUT (and is retried). */
export const CALL_TIMEOUT_MS = 120_000;

export interface EndpointOptions<C> {
  provider: 'openai' | 'anthropic';
  /** The variable holding the key when a batch names no `credential`. */
  keyVariable: string;
  /** The variable holding the base URL when a batch names no `baseUrl`, and the default without it. */
  baseUrlVariable: string;
  defaultBaseUrl: string;
  /** The provider's SDK client, which never retries (the worker's policy does). */
  client: (apiKey: string, baseURL: string) => C;
}

/**
 * Where an HTTP provider's calls for a batch go: its model (the provider's default from
 * METERED_PROVIDERS, which the orchestrator prices too), its base URL, one SDK client per base URL
 * and key (reused), and the route its calls share a rate-limit budget on.
 */
export function endpoint<C>(
  env: NodeJS.ProcessEnv,
  credentials: ReadonlySet<string>,
  options: EndpointOptions<C>,
) {
  const clients = new Map<string, C>();
  const defaultModel = METERED_PROVIDERS[options.provider]!.defaultModel;
  const baseUrlOf = (config: BatchConfig) =>
    config.baseUrl ?? env[options.baseUrlVariable] ?? options.defaultBaseUrl;
  const modelOf = (config: BatchConfig) => config.model ?? defaultModel;
  return {
    modelOf,
    routeOf(config: BatchConfig): Route {
      const credential = config.credential ?? options.keyVariable;
      return {
        route: [options.provider, baseUrlOf(config), modelOf(config), credential].join(' '),
        credential,
      };
    },
    clientFor(config: BatchConfig): C {
      const credential = keyFor(env, credentials, config.credential, options.keyVariable);
      const baseURL = baseUrlOf(config);
      const id = `${baseURL}\n${credential.name}`;
      let client = clients.get(id);
      if (!client) {
        client = options.client(credential.key, baseURL);
        clients.set(id, client);
      }
      return client;
    },
  };
}
