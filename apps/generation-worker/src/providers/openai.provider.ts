import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { PROVIDER_ERRORS, type BatchConfig, type ItemSpec, type ProviderErrorCode } from '@batch/contracts';
import { ProviderError, type Generated, type GeneratedTurn, type Provider } from './provider.js';

/** A call that has not answered after this long fails as ERR_API_TIMEOUT (and is retried). */
const CALL_TIMEOUT_MS = 120_000;
const DEFAULT_MODEL = 'gpt-4o-mini';
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The provider's failure with our code and message, never its text (it may quote the key). */
const failure = (code: ProviderErrorCode, detail?: string, retryAfterSeconds?: number): ProviderError => {
  const { category, message } = PROVIDER_ERRORS[code];
  return new ProviderError(code, category, detail ? `${message} (${detail})` : message, retryAfterSeconds);
};

/** Seconds to wait, from `retry-after-ms`, `retry-after` (seconds or an HTTP date). */
function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const milliseconds = Number(headers?.get('retry-after-ms'));
  if (milliseconds > 0) return milliseconds / 1000;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

/** Any failure of the SDK's call as one of PROVIDER_ERRORS. */
export function classifyOpenAiError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIConnectionTimeoutError) return failure('ERR_API_TIMEOUT');
  if (error instanceof APIConnectionError) return failure('ERR_NET_CONNECTION');
  if (error instanceof APIError && error.status !== undefined) {
    const http = `HTTP ${error.status}`;
    if (error.status === 429)
      return error.code === 'insufficient_quota'
        ? failure('ERR_API_QUOTA', http)
        : failure('ERR_API_RATE_LIMIT', http, retryAfterSeconds(error.headers));
    if (error.status === 401 || error.status === 403) return failure('ERR_API_AUTH', http);
    if (error.status === 404) return failure('ERR_API_MODEL_NOT_FOUND', http);
    if (error.status >= 500 || error.status === 408 || error.status === 409)
      return failure('ERR_API_SERVER', http);
    return failure('ERR_API_BAD_REQUEST', http);
  }
  // A 200 whose body is not a chat completion (malformed JSON, another shape).
  return failure('ERR_GEN_PARSE');
}

/** What the model is asked for an item: its `prompt` parameter, or its topic. */
const promptOf = (item: ItemSpec): string =>
  typeof item.parameters?.prompt === 'string' ? item.parameters.prompt : item.topic;

/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, Together, Groq,
 * OpenRouter...) through the official SDK, which never retries: the worker's retry policy does.
 * The key is the worker's `OPENAI_API_KEY`; `baseUrl`, `model`, `temperature`, `maxTokens` and
 * `systemPrompt` come from the batch. One client per base URL, reused.
 */
export function openAiProvider(env: NodeJS.ProcessEnv): Provider {
  const clients = new Map<string, OpenAI>();
  const clientFor = (baseURL: string, apiKey: string): OpenAI => {
    let client = clients.get(baseURL);
    if (!client) {
      client = new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: CALL_TIMEOUT_MS });
      clients.set(baseURL, client);
    }
    return client;
  };
  return {
    async generate(item: ItemSpec, config: BatchConfig): Promise<Generated> {
      const apiKey = env.OPENAI_API_KEY;
      if (!apiKey) throw failure('ERR_API_AUTH', 'OPENAI_API_KEY is not set on the worker');
      const client = clientFor(config.baseUrl ?? env.OPENAI_BASE_URL ?? DEFAULT_BASE_URL, apiKey);
      const turns: GeneratedTurn[] = [
        ...(config.systemPrompt ? [{ role: 'system' as const, content: config.systemPrompt }] : []),
        { role: 'user', content: promptOf(item) },
      ];
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await client.chat.completions.create({
          model: config.model ?? DEFAULT_MODEL,
          messages: turns,
          ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
          ...(config.maxTokens === undefined ? {} : { max_tokens: config.maxTokens }),
        });
      } catch (error) {
        throw classifyOpenAiError(error);
      }
      const choice = completion?.choices?.[0];
      if (!choice) throw failure('ERR_GEN_PARSE');
      if (choice.finish_reason === 'content_filter') throw failure('ERR_GEN_CONTENT_FILTER');
      const reply = choice.message?.content;
      if (!reply) throw failure('ERR_GEN_EMPTY_REPLY');
      const persona = typeof item.parameters?.persona === 'string' ? item.parameters.persona : 'assistant';
      return { persona, turns: [...turns, { role: 'assistant', content: reply }] };
    },
  };
}
