/**
 * The `/ws` URL of a gateway: `http` becomes `ws`, `https` `wss` (a `ws(s)` URL stays), a path
 * prefix is kept, and the token goes in `?token=`.
 */
export function notificationsUrl(baseUrl: string, token: string): string {
  const url = new URL(baseUrl);
  const scheme = SOCKET_SCHEMES[url.protocol];
  if (scheme === undefined) throw new TypeError(`not an http(s) or ws(s) URL: ${baseUrl}`);
  url.protocol = scheme;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  url.search = '';
  url.hash = '';
  url.searchParams.set('token', token);
  return url.toString();
}

const SOCKET_SCHEMES: Record<string, string | undefined> = {
  'http:': 'ws:',
  'https:': 'wss:',
  'ws:': 'ws:',
  'wss:': 'wss:',
};
