import { PROVIDER_ERRORS, type ProviderErrorCode } from '@batch/contracts';
import { ProviderError } from './provider.js';

/** The provider's failure with our code and message, never its text (it may quote the key). */
export const failure = (
  code: ProviderErrorCode,
  detail?: string,
  retryAfterSeconds?: number,
): ProviderError => {
  const { category, message } = PROVIDER_ERRORS[code];
  return new ProviderError(code, category, detail ? `${message} (${detail})` : message, retryAfterSeconds);
};

/** Seconds to wait, from `retry-after-ms`, `retry-after` (seconds or an HTTP date). */
export function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const milliseconds = Number(headers?.get('retry-after-ms'));
  if (milliseconds > 0) return milliseconds / 1000;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

/** An HTTP error answer of any provider; `quotaExhausted` is the provider's own way of saying so. */
export function failureOfStatus(
  status: number,
  headers: Headers | undefined,
  quotaExhausted: boolean,
): ProviderError {
  const http = `HTTP ${status}`;
  if (quotaExhausted) return failure('ERR_API_QUOTA', http);
  if (status === 429) return failure('ERR_API_RATE_LIMIT', http, retryAfterSeconds(headers));
  if (status === 401 || status === 403) return failure('ERR_API_AUTH', http);
  if (status === 404) return failure('ERR_API_MODEL_NOT_FOUND', http);
  if (status >= 500 || status === 408 || status === 409) return failure('ERR_API_SERVER', http);
  return failure('ERR_API_BAD_REQUEST', http);
}

/** What the model is asked for an item: its `prompt` parameter, or its topic. */
export const promptOf = (item: { topic: string; parameters?: Record<string, unknown> }): string =>
  typeof item.parameters?.prompt === 'string' ? item.parameters.prompt : item.topic;

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
