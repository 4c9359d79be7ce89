import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import type { BatchConfig, ItemSpec } from '@batch/contracts';
import { conversationIn, CONVERSATION_INSTRUCTION } from './conversation-reply.js';
import { limitsLeft } from './limits-left.js';
import { ProviderError, type Generated, type Provider } from './provider.js';
import { failure, failureOfStatus, keyFor, personaOf, promptOf } from './provider-failures.js';

/** A call that has not answered after this long fails as ERR_API_TIMEOUT (and is retried). */
const CALL_TIMEOUT_MS = 120_000;
const DEFAULT_MODEL = 'claude-3-5-haiku-latest';
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
  const clients = new Map<string, Anthropic>();
  const clientFor = (baseURL: string, credential: { name: string; key: string }): Anthropic => {
    const id = `${baseURL}\n${credential.name}`;
    let client = clients.get(id);
    if (!client) {
      client = new Anthropic({ apiKey: credential.key, baseURL, maxRetries: 0, timeout: CALL_TIMEOUT_MS });
      clients.set(id, client);
    }
    return client;
  };
  const baseUrlOf = (config: BatchConfig) => config.baseUrl ?? env.ANTHROPIC_BASE_URL ?? DEFAULT_BASE_URL;
  return {
    routeOf(config) {
      const credential = config.credential ?? 'ANTHROPIC_API_KEY';
      const name = 'anthropic';
      return {
        route: [name, baseUrlOf(config), config.model ?? DEFAULT_MODEL, credential].join(' '),
        credential,
      };
    },
    async generate(item: ItemSpec, config: BatchConfig): Promise<Generated> {
      const credential = keyFor(env, credentials, config.credential, 'ANTHROPIC_API_KEY');
      const client = clientFor(baseUrlOf(config), credential);
      let answer: { data: Anthropic.Message; response: Response };
      try {
        answer = await client.messages
          .create({
            model: config.model ?? DEFAULT_MODEL,
            max_tokens: config.maxTokens ?? DEFAULT_MAX_TOKENS,
            messages: [{ role: 'user', content: promptOf(item) }],
            system: [config.systemPrompt, CONVERSATION_INSTRUCTION].filter(Boolean).join('\n\n'),
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
          ...(config.systemPrompt ? [{ role: 'system' as const, content: config.systemPrompt }] : []),
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
        model: message.model || config.model || DEFAULT_MODEL,
        limitsLeft: limitsLeft(answer.response.headers),
      };
    },
  };
}
