import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake provider received. */
export interface LlmRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: { model?: string; messages?: { role: string; content: string }[]; [key: string]: unknown };
  /** The last message's content: which item asked. */
  prompt: string;
  at: number;
}

/** How the fake answers one request: a status with a JSON body (after `delayMs`), a raw body, or never. */
export type LlmAnswer =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | { raw: string; status?: number }
  | 'hang';

export interface FakeLlm {
  /** For a batch's `baseUrl` (OpenAI-compatible: `<url>/chat/completions`). */
  baseUrl: string;
  /** For an `anthropic` batch's `baseUrl` (the SDK adds `/v1/messages`). */
  anthropicUrl: string;
  requests: LlmRequest[];
  /** How many requests asked for this prompt. */
  callsFor(prompt: string): number;
  close(): Promise<void>;
}

/** A chat completion answering `prompt`. */
export const completion = (
  content: string,
  finishReason = 'stop',
  usage = { prompt_tokens: 10, completion_tokens: 5 },
) => ({
  id: 'chatcmpl-fake',
  object: 'chat.completion',
  created: 0,
  model: 'fake-1',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
  usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
});

/** An Anthropic Messages API answer to `prompt`. */
export const anthropicMessage = (content: string, stopReason = 'end_turn') => ({
  id: 'msg_fake',
  type: 'message',
  role: 'assistant',
  model: 'fake-1',
  content: [{ type: 'text', text: content }],
  stop_reason: stopReason,
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 5 },
});

/** A model's reply in the shape the providers ask for: the prompt and one answer to it. */
export const conversationJson = (prompt: string, answer: string, persona = 'tester'): string =>
  JSON.stringify({
    persona,
    turns: [
      { role: 'user', content: prompt },
      { role: 'assistant', content: answer },
    ],
  });

/**
 * The answer of the API the request was made to (`/messages`: Anthropic's; else OpenAI's): a
 * conversation of the request's prompt and `answer`.
 */
export const replyTo = (request: LlmRequest, answer: string) => {
  const content = conversationJson(request.prompt, answer);
  return request.path.endsWith('/messages') ? anthropicMessage(content) : completion(content);
};

/**
 * A scripted server on a free port speaking OpenAI's chat completions and Anthropic's Messages API: `script(request, n)` (n:
 * the how-manyth request for this prompt, from 1) decides each answer; by default every request
 * gets a reply echoing its prompt.
 */
export async function startFakeLlm(
  script: (request: LlmRequest, attempt: number) => LlmAnswer = (request) => ({
    status: 200,
    body: replyTo(request, `reply to ${request.prompt}`),
  }),
): Promise<FakeLlm> {
  const requests: LlmRequest[] = [];
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as LlmRequest['body'];
      const prompt = body.messages?.at(-1)?.content ?? '';
      const request: LlmRequest = {
        path: incoming.url ?? '',
        headers: incoming.headers,
        body,
        prompt,
        at: Date.now(),
      };
      requests.push(request);
      const answer = script(request, requests.filter((earlier) => earlier.prompt === prompt).length);
      if (answer === 'hang') return;
      if ('raw' in answer)
        return void response
          .writeHead(answer.status ?? 200, { 'content-type': 'application/json' })
          .end(answer.raw);
      const respond = () =>
        response
          .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
          .end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      if (answer.delayMs) setTimeout(respond, answer.delayMs);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    anthropicUrl: `http://127.0.0.1:${port}`,
    requests,
    callsFor: (prompt) => requests.filter((request) => request.prompt === prompt).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
