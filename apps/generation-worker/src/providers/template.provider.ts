import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchConfig, ErrorCategory, ItemSpec } from '@batch/contracts';
import { ProviderError, type Generated, type Provider } from './provider.js';
import { promptsOf } from './provider-failures.js';

const PERSONAS = ['Expert', 'Beginner', 'Skeptic', 'Teacher', 'Researcher'];

const SIMULATED = new Set<string>(['temporary', 'rate_limited', 'permanent']);

/**
 * Offline and deterministic: the same item and config always give the same turns. The config shows
 * in the conversation (model, temperature, the system prompt and the userPromptTemplate rendered
 * for the item as the first two turns), so a changed config is visible. For
 * demos and tests: a `latencyMs` config parameter (or item parameter, which wins) makes it take that
 * long, like a remote model, and an item parameter `simulateError` (temporary, rate_limited,
 * permanent) makes it fail that way.
 */
export const templateProvider: Provider = {
  async generate(item: ItemSpec, config: BatchConfig): Promise<Generated> {
    const latencyMs = [item.parameters?.latencyMs, config.latencyMs, 0].find(
      (value) => typeof value === 'number',
    ) as number;
    if (latencyMs > 0) await sleep(latencyMs);
    const simulated = item.parameters?.simulateError;
    if (typeof simulated === 'string' && SIMULATED.has(simulated))
      throw new ProviderError(
        `simulated_${simulated}`,
        simulated as ErrorCategory,
        `simulated ${simulated} failure of ${item.id}`,
        simulated === 'rate_limited' ? 1 : undefined,
      );
    const digest = createHash('sha256')
      .update(JSON.stringify([item, config]))
      .digest();
    const persona =
      typeof item.parameters?.persona === 'string'
        ? item.parameters.persona
        : PERSONAS[digest[0]! % PERSONAS.length]!;
    const style = `${config.model ?? 'template-1'} at temperature ${config.temperature ?? 0.7}`;
    const prompts = promptsOf(item, config);
    return {
      persona,
      turns: [
        {
          role: 'system',
          content: prompts.system ?? `You are a helpful assistant speaking with a ${persona.toLowerCase()}.`,
        },
        {
          role: 'user',
          content: config.userPromptTemplate === undefined ? `Can you explain ${item.topic}?` : prompts.user,
        },
        {
          role: 'assistant',
          content: `Here is ${item.topic} in brief (${style}): the key idea, an example, and a caveat.`,
        },
        { role: 'user', content: `What should I read next about ${item.topic}?` },
        {
          role: 'assistant',
          content: `Start with the fundamentals of ${item.topic}, then a worked case study (ref ${digest.toString('hex', 0, 4)}).`,
        },
      ],
    };
  },
};
