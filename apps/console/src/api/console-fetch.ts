/** How long a 429 asks to wait: `Retry-After` in seconds or as a date. */
export function retryAfterSecondsOf(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export interface ConsoleFetchOptions {
  /** A 401: the token was refused (expired, another secret). */
  onUnauthorized: () => void;
  fetch?: typeof fetch;
}

/**
 * The fetch the console's client uses: it reports a refused token, and it copies a 429's
 * `Retry-After` into the error's `details.retryAfterSeconds` (the client's ApiError carries the
 * body, not the headers), so the rate-limit toast can count down.
 */
export function consoleFetch({
  onUnauthorized,
  fetch: fetchFn = globalThis.fetch,
}: ConsoleFetchOptions): typeof fetch {
  return async (input, init) => {
    const response = await fetchFn(input, init);
    if (response.status === 401) onUnauthorized();
    if (response.status !== 429) return response;
    const retryAfterSeconds = retryAfterSecondsOf(response.headers.get('retry-after'));
    const text = await response.text();
    let body: { error?: { code?: unknown; message?: unknown; details?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = { error: { code: 'rate_limited', message: text.trim() || 'too many requests' } };
    }
    const error = body.error ?? { code: 'rate_limited', message: 'too many requests' };
    const details = typeof error.details === 'object' && error.details !== null ? error.details : {};
    const rewritten = { error: { ...error, details: { ...details, retryAfterSeconds } } };
    return new Response(JSON.stringify(rewritten), {
      status: 429,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
