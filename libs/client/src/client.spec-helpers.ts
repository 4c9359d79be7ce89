import type { BatchView } from '@batch/contracts';

/** A request as the fake server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  /** Size of the body as sent. */
  bytes: number;
}

type Route = (request: SeenRequest) => Response | Promise<Response>;

/** A `fetch` that answers with `route` and records every request, for the client's own logic. */
export function fakeFetch(route: Route): { fetch: typeof fetch; requests: SeenRequest[] } {
  const requests: SeenRequest[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const text = typeof init?.body === 'string' ? init.body : '';
    const request: SeenRequest = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...(init?.headers as Record<string, string>) },
      body: text === '' ? undefined : JSON.parse(text),
      bytes: Buffer.byteLength(text),
    };
    requests.push(request);
    return route(request);
  };
  return { fetch: fake as typeof fetch, requests };
}

export const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A body that arrives in exactly these pieces, as a network may cut it. */
export const streamed = (pieces: (string | Uint8Array)[]): Response =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces)
          controller.enqueue(typeof piece === 'string' ? new TextEncoder().encode(piece) : piece);
        controller.close();
      },
    }),
  );

export const batchView = (overrides: Partial<BatchView> = {}): BatchView => ({
  batch_id: 'b1',
  name: 'test',
  status: 'pending',
  total_items: 0,
  processed_count: 0,
  failed_count: 0,
  pending_count: 0,
  progress_percent: 0,
  config: { provider: 'template' },
  created_at: '2026-11-23T10:00:00.000Z',
  started_at: null,
  paused_at: null,
  pause_reason: null,
  completed_at: null,
  prompt_tokens: 0,
  completion_tokens: 0,
  cost_usd: 0,
  last_checkpoint_at: null,
  ...overrides,
});
