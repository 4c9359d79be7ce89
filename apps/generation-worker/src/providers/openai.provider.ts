import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { BatchConfig, ItemSpec } from '@batch/contracts';
import { conversationIn, CONVERSATION_INSTRUCTION } from './conversation-reply.js';
import { CALL_TIMEOUT_MS, endpoint } from './endpoint.js';
import { limitsLeft } from './limits-left.js';
import { ProviderError, type Generated, type Provider } from './provider.js';
import { failure, failureOfStatus, personaOf, promptsOf } from './provider-failures.js';
import { PROVIDER_VARIABLES } from './provider-variables.js';

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
  const { modelOf, routeOf, clientFor } = endpoint(env, credentials, {
    provider: 'openai',
    keyVariable: PROVIDER_VARIABLES.openai.key,
    baseUrlVariable: PROVIDER_VARIABLES.openai.baseUrl,
    defaultBaseUrl: DEFAULT_BASE_URL,
    client: (apiKey, baseURL) => new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: CALL_TIMEOUT_MS }),
  });
  return {
    routeOf,
    async generate(item: ItemSpec, config: BatchConfig): Promise<Generated> {
      const client = clientFor(config);
      const prompts = promptsOf(item, config);
      const system = prompts.system ? [{ role: 'system' as const, content: prompts.system }] : [];
      let answer: { data: OpenAI.Chat.Completions.ChatCompletion; response: Response };
      try {
        answer = await client.chat.completions
          .create({
            model: modelOf(config),
            messages: [
              {
                role: 'system',
                content: [prompts.system, CONVERSATION_INSTRUCTION].filter(Boolean).join('\n\n'),
              },
              { role: 'user', content: prompts.user },
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
        model: completion.model || modelOf(config),
        ...(choice.finish_reason ? { finishReason: choice.finish_reason } : {}),
        limitsLeft: limitsLeft(answer.response.headers),
      };
    },
  };
}
