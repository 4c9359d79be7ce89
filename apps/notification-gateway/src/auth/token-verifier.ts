import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { UserId } from '@batch/contracts';
import type { GatewayConfig } from '../config/gateway.config.js';
import { ApiError } from '../http/api-error.js';

export type VerifyToken = (token: string) => Promise<string>;

/** Verifies a bearer token (HS256 secret, or the keys at a JWKS URL) and answers its user: `sub`. */
export function createTokenVerifier(config: GatewayConfig): VerifyToken {
  const key: Uint8Array | JWTVerifyGetKey = config.AUTH_JWKS_URL
    ? createRemoteJWKSet(new URL(config.AUTH_JWKS_URL))
    : new TextEncoder().encode(config.AUTH_JWT_SECRET);
  const options = {
    ...(config.AUTH_JWKS_URL ? {} : { algorithms: ['HS256'] }),
    ...(config.AUTH_ISSUER ? { issuer: config.AUTH_ISSUER } : {}),
    ...(config.AUTH_AUDIENCE ? { audience: config.AUTH_AUDIENCE } : {}),
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, options);
      const user = UserId.safeParse(payload.sub);
      if (!user.success) throw new ApiError('unauthorized', 'the token has no usable subject (sub)');
      return user.data;
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (error instanceof errors.JWTExpired) throw new ApiError('unauthorized', 'the token has expired');
      if (error instanceof errors.JOSEError) throw new ApiError('unauthorized', 'the token is not valid');
      throw error;
    }
  };
}
