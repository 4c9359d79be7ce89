import { z } from 'zod';
import { redact } from '@batch/platform';
import type { GeneratedTurn } from './provider.js';
import { failure } from './provider-failures.js';

/** What the model is told to answer with, after the batch's own system prompt. */
export const CONVERSATION_INSTRUCTION =
  'Write the conversation the user asks for as JSON only, with no text before or after it: ' +
  '{"persona": "<who the user is>", "turns": [{"role": "user" | "assistant", "content": "<text>"}]}.';

const Reply = z.object({
  persona: z.string().trim().min(1).max(200).optional(),
  turns: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string().trim().min(1) })).min(1),
});

/** How much of an unreadable reply the item's error keeps, to show what the model said. */
const KEPT_REPLY_CHARS = 1000;

/** The JSON object in a reply, also when the model wraps it in a Markdown fence or a sentence. */
function jsonIn(reply: string): unknown {
  const start = reply.indexOf('{');
  const end = reply.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(reply.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

/**
 * The conversation in a model's reply: `{persona, turns: [{role, content}]}` with at least one
 * turn. Anything else fails the item as ERR_GEN_REPLY_FORMAT (permanent), keeping the start of the
 * reply, secrets removed, for its error details.
 */
export function conversationIn(reply: string): { persona?: string; turns: GeneratedTurn[] } {
  const parsed = Reply.safeParse(jsonIn(reply));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const why = issue ? `${issue.path.join('.') || 'reply'}: ${issue.message}` : 'no JSON object';
  throw failure('ERR_GEN_REPLY_FORMAT', why, undefined, {
    reply: redact(reply.slice(0, KEPT_REPLY_CHARS)),
  });
}
