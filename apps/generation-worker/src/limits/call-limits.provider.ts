import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Names, ProviderName } from '@batch/contracts';
import { NAMES, NATS, SETTINGS } from '@batch/platform';
import type { WorkerConfig } from '../config/worker.config.js';
import type { Provider } from '../providers/provider.js';
import { PROVIDERS } from '../providers/providers.js';
import { callLimits } from './call-limits.js';
import { sharedLimiter } from './shared-limiter.js';

export const CALL_LIMITS = Symbol('CALL_LIMITS');
export type CallLimits = ReturnType<typeof callLimits>;

/** A route's budget is forgotten an hour after its last call: by then it is whole again anyway. */
const BUDGET_TTL_MS = 3600_000;

/** The shared rate limits, in the JetStream KV bucket every worker replica uses. */
export const callLimitsProvider = {
  provide: CALL_LIMITS,
  inject: [NATS, NAMES, SETTINGS, PROVIDERS],
  useFactory: async (
    nc: NatsConnection,
    names: Names,
    settings: WorkerConfig,
    providers: Record<ProviderName, Provider>,
  ): Promise<CallLimits> => {
    const kv = await new Kvm(nc).create(names.rateLimitBucket, { history: 1, ttl: BUDGET_TTL_MS });
    return callLimits(sharedLimiter(kv), providers, settings.PROVIDER_RATE_LIMITS);
  },
};
