/** Where the console keeps its token: this browser's localStorage, nothing else. */
const TOKEN_KEY = 'batch-console.token';
const SIGNED_OUT_REASON_KEY = 'batch-console.signed-out-reason';

export function readToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
  sessionStorage.removeItem(SIGNED_OUT_REASON_KEY);
}

export function clearToken(reason?: string): void {
  localStorage.removeItem(TOKEN_KEY);
  if (reason) sessionStorage.setItem(SIGNED_OUT_REASON_KEY, reason);
  else sessionStorage.removeItem(SIGNED_OUT_REASON_KEY);
}

export function signedOutReason(): string | null {
  return sessionStorage.getItem(SIGNED_OUT_REASON_KEY);
}

/**
 * The sign-in link `npm start` prints (`/#token=<JWT>`): the token is stored and removed from the
 * address bar, so it is neither bookmarked nor left in the history.
 */
export function takeTokenFromLocation(location: Location, history: History): string | null {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (!token) return null;
  fragment.delete('token');
  const rest = fragment.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return token.trim();
}

export interface TokenClaims {
  sub?: string;
  exp?: number;
}

/** The token's claims, read without verifying (the gateway verifies); only to show who is signed in. */
export function claimsOf(token: string): TokenClaims | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(json);
    return typeof claims === 'object' && claims !== null ? (claims as TokenClaims) : null;
  } catch {
    return null;
  }
}

/** A pasted token that cannot be a JWT is refused before any request. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token.trim());
}
