import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { BatchConfig, ItemSpec } from '@batch/contracts';
import { conversationIn, CONVERSATION_INSTRUCTION } from './conversation-reply.js';
import { limitsLeft } from './limits-left.js';
import { ProviderError, type Generated, type Provider } from './provider.js';
import { failure, failureOfStatus, keyFor, personaOf, promptOf } from './provider-failures.js';

/** A call that has not answered after this long fails as ERR_API_TIMEOUT (and is retried). */
const CALL_TIMEOUT_MS = 120_000;
const DEFAULT_MODEL = 'gpt-4o-mini';
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Any failure of the SDK's call as one of PROVIDER_ERRORS. */
export function classifyOpenAiError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIConnectionTimeoutError) return failure('ERR_API_TIMEOUT');
  if (error instanceof APIConnectionError) return failure('ERR_NET_CONNECTION');
  if (error instanceof APIError && error.status !== undefined)
    return failureOfStatus(error.status, error.headers, error.code === 'insufficient_quota');
  // A 200 whose body is not a chat completion (malformed JSON, another shape).
  return failure('ERR_GEN_PARSE');
}

/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, Together, Groq,
 * OpenRouter...) through the official SDK, which never retries: the worker's retry policy does.
 * The key is the worker's `OPENAI_API_KEY`; `baseUrl`, `model`, `temperature`, `maxTokens` and
 * `systemPrompt` come from the batch. One client per base URL, reused.
 */
export function openAiProvider(env: NodeJS.ProcessEnv, credentials: ReadonlySet<string>): Provider {
  const clients = new Map<string, OpenAI>();
  const clientFor = (baseURL: string, credential: { name: string; key: string }): OpenAI => {
    const id = `${baseURL}\n${credential.name}`;
    let client = clients.get(id);
    if (!client) {
      client = new OpenAI({ apiKey: credential.key, baseURL, maxRetries: 0, timeout: CALL_TIMEOUT_MS });
      clients.set(id, client);
    }
    return client;
  };
  const baseUrlOf = (config: BatchConfig) => config.baseUrl ?? env.OPENAI_BASE_URL ?? DEFAULT_BASE_URL;
  return {
    routeOf(config) {
      const credential = config.credential ?? 'OPENAI_API_KEY';
      const name = 'openai';
      return {
        route: [name, baseUrlOf(config), config.model ?? DEFAULT_MODEL, credential].join(' '),
        credential,
      };
    },
    async generate(item: ItemSpec, config: BatchConfig): Promise<Generated> {
      const credential = keyFor(env, credentials, config.credential, 'OPENAI_API_KEY');
      const client = clientFor(baseUrlOf(config), credential);
      const system = config.systemPrompt ? [{ role: 'system' as const, content: config.systemPrompt }] : [];
      let answer: { data: OpenAI.Chat.Completions.ChatCompletion; response: Response };
      try {
        answer = await client.chat.completions
          .create({
            model: config.model ?? DEFAULT_MODEL,
            messages: [
              {
                role: 'system',
                content: [config.systemPrompt, CONVERSATION_INSTRUCTION].filter(Boolean).join('\n\n'),
              },
              { role: 'user', content: promptOf(item) },
            ],
            ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
            ...(config.maxTokens === undefined ? {} : { max_tokens: config.maxTokens }),
          })
          .withResponse();
      } catch (error) {
        throw classifyOpenAiError(error);
      }
      const completion = answer.data;
      const choice = completion?.choices?.[0];
      if (!choice) throw failure('ERR_GEN_PARSE');
      if (choice.finish_reason === 'content_filter') throw failure('ERR_GEN_CONTENT_FILTER');
      const reply = choice.message?.content;
      if (!reply) throw failure('ERR_GEN_EMPTY_REPLY');
      if (choice.finish_reason === 'length') throw failure('ERR_GEN_TRUNCATED');
      const conversation = conversationIn(reply);
      return {
        persona: conversation.persona ?? personaOf(item),
        turns: [...system, ...conversation.turns],
        ...(completion.usage
          ? {
              usage: {
                promptTokens: completion.usage.prompt_tokens,
                completionTokens: completion.usage.completion_tokens,
              },
            }
          : {}),
        model: completion.model || config.model || DEFAULT_MODEL,
        limitsLeft: limitsLeft(answer.response.headers),
      };
    },
  };
}
