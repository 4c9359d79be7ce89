import { ApiError, apiErrorOf, unavailableError } from './api-error.js';
import { parseJsonLines } from './jsonl-stream.js';

export interface ClientOptions {
  /** Where the gateway listens, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** A JWT; sent as `Authorization: Bearer <token>`. */
  token: string;
  /** Defaults to the global `fetch`; tests pass a fake. */
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  query?: Query;
}

/** A 2xx answer whose body is read on demand; failures while reading become ApiErrors too. */
export interface Answer {
  json<T>(): Promise<T>;
  /** The body as JSON Lines, parsed while it streams in. */
  jsonLines(): AsyncGenerator<unknown>;
  /** The body's bytes as they stream in. */
  bytes(): AsyncGenerator<Uint8Array>;
}

/** Sends one request: the 2xx answer, or a thrown ApiError for anything else. */
export type Send = (path: string, options?: RequestOptions) => Promise<Answer>;

export function httpSender({ baseUrl, token, fetch: fetchFn = globalThis.fetch }: ClientOptions): Send {
  const root = baseUrl.replace(/\/+$/, '');
  const unreachable = (error: unknown): never => {
    throw unavailableError(root, error);
  };
  return async (path, { method = 'GET', body, query } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetchFn(`${root}${path}${queryString(query)}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch(unreachable);
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw apiErrorOf(response.status, response.statusText, text);
    }
    return {
      json: async <T>() => jsonOf<T>(response.status, await response.text().catch(unreachable)),
      jsonLines: () => parseJsonLines(guarded(response.body ?? [], unreachable)),
      bytes: () => guarded(response.body ?? [], unreachable),
    };
  };
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function jsonOf<T>(status: number, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(status, 'internal', `the server answered ${status} without a JSON body`);
  }
}

/** A connection lost mid-body is the same failure as one never made. */
async function* guarded(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  unreachable: (error: unknown) => never,
): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (error) {
    unreachable(error);
  }
}

/** Path segment of a user-given id: a `/` or `?` in it must not change the route. */
export const segment = (id: string): string => encodeURIComponent(id);
