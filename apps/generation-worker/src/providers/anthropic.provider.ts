import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import type { BatchConfig, ItemSpec } from '@batch/contracts';
import { conversationIn, CONVERSATION_INSTRUCTION } from './conversation-reply.js';
import { CALL_TIMEOUT_MS, endpoint } from './endpoint.js';
import { limitsLeft } from './limits-left.js';
import { ProviderError, type Generated, type Provider } from './provider.js';
import { failure, failureOfStatus, personaOf, promptsOf } from './provider-failures.js';
import { PROVIDER_VARIABLES } from './provider-variables.js';

const DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The Messages API requires a reply budget; this one when the batch sets no `maxTokens`. */
const DEFAULT_MAX_TOKENS = 1024;

/** Anthropic says "no credit" as a billing error (or a 400 about the credit balance). */
function isQuotaExhausted(error: APIError): boolean {
  const body = error.error as { error?: { type?: string; message?: string } } | undefined;
  return body?.error?.type === 'billing_error' || /credit balance/i.test(body?.error?.message ?? '');
}

/** Any failure of the SDK's call as one of PROVIDER_ERRORS (529 "overloaded" is a server error). */
export function classifyAnthropicError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIConnectionTimeoutError) return failure('ERR_API_TIMEOUT');
  if (error instanceof APIConnectionError) return failure('ERR_NET_CONNECTION');
  if (error instanceof APIError && error.status !== undefined)
    return failureOfStatus(error.status, error.headers, isQuotaExhausted(error));
  return failure('ERR_GEN_PARSE');
}

/**
 * The Anthropic Messages API through the official SDK (`maxRetries: 0`: the worker's policy
 * retries). The key is the worker's `ANTHROPIC_API_KEY`; `baseUrl`, `model`, `temperature`,
 * `maxTokens` and `systemPrompt` come from the batch.
 */
export function anthropicProvider(env: NodeJS.ProcessEnv, credentials: ReadonlySet<string>): Provider {
  const { modelOf, routeOf, clientFor } = endpoint(env, credentials, {
    provider: 'anthropic',
    keyVariable: PROVIDER_VARIABLES.anthropic.key,
    baseUrlVariable: PROVIDER_VARIABLES.anthropic.baseUrl,
    defaultBaseUrl: DEFAULT_BASE_URL,
    client: (apiKey, baseURL) => new Anthropic({ apiKey, baseURL, maxRetries: 0, timeout: CALL_TIMEOUT_MS }),
  });
  return {
    routeOf,
    async generate(item: ItemSpec, config: BatchConfig): Promise<Generated> {
      const client = clientFor(config);
      const prompts = promptsOf(item, config);
      let answer: { data: Anthropic.Message; response: Response };
      try {
        answer = await client.messages
          .create({
            model: modelOf(config),
            max_tokens: config.maxTokens ?? DEFAULT_MAX_TOKENS,
            messages: [{ role: 'user', content: prompts.user }],
            system: [prompts.system, CONVERSATION_INSTRUCTION].filter(Boolean).join('\n\n'),
            ...(config.temperature === undefined ? {} : { temperature: Math.min(1, config.temperature) }),
          })
          .withResponse();
      } catch (error) {
        throw classifyAnthropicError(error);
      }
      const message = answer.data;
      if (!Array.isArray(message?.content)) throw failure('ERR_GEN_PARSE');
      if (message.stop_reason === 'refusal') throw failure('ERR_GEN_CONTENT_FILTER');
      const reply = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
      if (!reply) throw failure('ERR_GEN_EMPTY_REPLY');
      if (message.stop_reason === 'max_tokens') throw failure('ERR_GEN_TRUNCATED');
      const conversation = conversationIn(reply);
      return {
        persona: conversation.persona ?? personaOf(item),
        turns: [
          ...(prompts.system ? [{ role: 'system' as const, content: prompts.system }] : []),
          ...conversation.turns,
        ],
        ...(message.usage
          ? {
              usage: {
                promptTokens: message.usage.input_tokens,
                completionTokens: message.usage.output_tokens,
              },
            }
          : {}),
        model: message.model || modelOf(config),
        ...(message.stop_reason ? { finishReason: message.stop_reason } : {}),
        limitsLeft: limitsLeft(answer.response.headers),
      };
    },
  };
}
