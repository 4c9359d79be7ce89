import {
  missingVariableMessage,
  PROVIDER_ERRORS,
  renderTemplate,
  templateChecker,
  type BatchConfig,
  type ItemSpec,
  type ProviderErrorCode,
} from '@batch/contracts';
import { ProviderError } from './provider.js';

/** The provider's failure with our code and message, never its text (it may quote the key). */
export const failure = (
  code: ProviderErrorCode,
  detail?: string,
  retryAfterSeconds?: number,
  details?: Record<string, string>,
): ProviderError => {
  const { category, message } = PROVIDER_ERRORS[code];
  return new ProviderError(
    code,
    category,
    detail ? `${message} (${detail})` : message,
    retryAfterSeconds,
    details,
  );
};

/** A rate-limited call that says nothing of when to come back waits this long. */
export const DEFAULT_RATE_LIMIT_WAIT_SECONDS = 30;

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const SECONDS_PER_UNIT: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** OpenAI's `x-ratelimit-reset-*` durations (`20ms`, `1s`, `6m0s`, `1h2m3.5s`) in seconds. */
export function durationSeconds(value: string): number | undefined {
  const parts = [...value.trim().matchAll(DURATION_PART)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value.trim()) return undefined;
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * SECONDS_PER_UNIT[unit!]!, 0);
}

/**
 * Seconds to wait before calling again, as the provider says it: `retry-after-ms`, `retry-after`
 * (seconds or an HTTP date), else the longest of its `x-ratelimit-reset-requests` /
 * `x-ratelimit-reset-tokens`.
 */
export function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const milliseconds = Number(headers?.get('retry-after-ms'));
  if (milliseconds > 0) return milliseconds / 1000;
  const value = headers?.get('retry-after');
  if (value) {
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds;
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return Math.max(0, (at - Date.now()) / 1000);
  }
  const resets = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']
    .map((name) => headers?.get(name))
    .flatMap((reset) => (reset ? [durationSeconds(reset)] : []))
    .filter((seconds): seconds is number => seconds !== undefined);
  return resets.length > 0 ? Math.max(...resets) : undefined;
}

/** An HTTP error answer of any provider; `quotaExhausted` is the provider's own way of saying so. */
export function failureOfStatus(
  status: number,
  headers: Headers | undefined,
  quotaExhausted: boolean,
): ProviderError {
  const http = `HTTP ${status}`;
  if (quotaExhausted) return failure('ERR_API_QUOTA', http);
  if (status === 429)
    return failure('ERR_API_RATE_LIMIT', http, retryAfterSeconds(headers) ?? DEFAULT_RATE_LIMIT_WAIT_SECONDS);
  if (status === 401 || status === 403) return failure('ERR_API_AUTH', http);
  if (status === 404) return failure('ERR_API_MODEL_NOT_FOUND', http);
  if (status >= 500 || status === 408 || status === 409) return failure('ERR_API_SERVER', http);
  return failure('ERR_API_BAD_REQUEST', http);
}

/** What the model is asked for an item without a userPromptTemplate: its `prompt` parameter, or its topic. */
export const defaultPromptOf = (item: ItemSpec): string =>
  typeof item.parameters?.prompt === 'string' ? item.parameters.prompt : item.topic;

/**
 * The batch's templates rendered for an item. Items were checked against the templates when they
 * were added; a template given later on resume may name a variable an item lacks: that item fails
 * (ERR_GEN_TEMPLATE, permanent) instead of asking the model an empty question.
 */
export function promptsOf(item: ItemSpec, config: BatchConfig): { system?: string; user: string } {
  const missing = templateChecker(config)(item);
  if (missing) throw failure('ERR_GEN_TEMPLATE', missingVariableMessage(item.id, missing));
  return {
    ...(config.systemPrompt === undefined ? {} : { system: renderTemplate(config.systemPrompt, item) }),
    user:
      config.userPromptTemplate === undefined
        ? defaultPromptOf(item)
        : renderTemplate(config.userPromptTemplate, item),
  };
}

/** The persona stored with the conversation: the item's `persona` parameter, or `assistant`. */
export const personaOf = (item: { parameters?: Record<string, unknown> }): string =>
  typeof item.parameters?.persona === 'string' ? item.parameters.persona : 'assistant';

/**
 * The key a batch's call uses: the variable its `credential` names, when the operator allows it
 * (PROVIDER_CREDENTIALS), else the provider's own variable. The value never leaves the worker's
 * environment but for the provider's request.
 */
export function keyFor(
  env: NodeJS.ProcessEnv,
  allowed: ReadonlySet<string>,
  credential: string | undefined,
  providerVariable: string,
): { name: string; key: string } {
  if (credential !== undefined && !allowed.has(credential))
    throw failure('ERR_API_AUTH', `${credential} is not in this worker's PROVIDER_CREDENTIALS`);
  const name = credential ?? providerVariable;
  const key = env[name];
  if (!key) throw failure('ERR_API_AUTH', `${name} is not set on the worker`);
  return { name, key };
}
