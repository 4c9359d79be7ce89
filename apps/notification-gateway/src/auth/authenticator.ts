import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { UserId } from '@batch/contracts';
import type { GatewayConfig } from '../config/gateway.config.js';

/**
 * A bearer token to its user (`sub`), whatever carries it: the HTTP guard now, the WebSocket next.
 * Refusals are AuthenticationErrors, which each transport answers in its own way (HTTP: 401).
 */
export type Authenticate = (token: string) => Promise<string>;

export class AuthenticationError extends Error {
  readonly code = 'unauthorized' as const;
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

export const isAuthenticationError = (error: unknown): error is AuthenticationError =>
  error instanceof AuthenticationError;

/** The token of an `Authorization: Bearer <JWT>` header. */
export function bearerTokenOf(authorization: string | undefined): string {
  const [scheme, token] = (authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token)
    throw new AuthenticationError('missing bearer token: send Authorization: Bearer <JWT>');
  return token;
}

/** Verified tokens remembered (until they expire), at most this many: clients send one token many times. */
const REMEMBERED_TOKENS = 10_000;

/** Verifies a bearer token (HS256 secret, or the keys at a JWKS URL) and answers its user: `sub`. */
export function createAuthenticator(config: GatewayConfig): Authenticate {
  const key: Uint8Array | JWTVerifyGetKey = config.AUTH_JWKS_URL
    ? createRemoteJWKSet(new URL(config.AUTH_JWKS_URL))
    : new TextEncoder().encode(config.AUTH_JWT_SECRET);
  const options = {
    ...(config.AUTH_JWKS_URL ? {} : { algorithms: ['HS256'] }),
    ...(config.AUTH_ISSUER ? { issuer: config.AUTH_ISSUER } : {}),
    ...(config.AUTH_AUDIENCE ? { audience: config.AUTH_AUDIENCE } : {}),
  };
  // A signature check was ~15% of the gateway's CPU under load; a token that passed stays valid until
  // its `exp`, so it is checked once. Tokens without `exp` are checked every time.
  const verified = new Map<string, { user: string; expiresAtMs: number }>();
  return async (token) => {
    const known = verified.get(token);
    if (known && known.expiresAtMs > Date.now()) return known.user;
    verified.delete(token);
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, options);
      const user = UserId.safeParse(payload.sub);
      if (!user.success) throw new AuthenticationError('the token has no usable subject (sub)');
      if (payload.exp !== undefined) {
        if (verified.size >= REMEMBERED_TOKENS) verified.delete(verified.keys().next().value!);
        verified.set(token, { user: user.data, expiresAtMs: payload.exp * 1000 });
      }
      return user.data;
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      if (error instanceof errors.JWTExpired) throw new AuthenticationError('the token has expired');
      if (error instanceof errors.JOSEError) throw new AuthenticationError('the token is not valid');
      throw error;
    }
  };
}
