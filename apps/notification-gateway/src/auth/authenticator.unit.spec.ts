import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { SignJWT } from 'jose';
import { GatewayConfig } from '../config/gateway.config.js';
import { AuthenticationError, bearerTokenOf, createAuthenticator } from './authenticator.js';

const SECRET = 'unit-secret';
const config = GatewayConfig.parse({ AUTH_JWT_SECRET: SECRET });

const tokenFor = (sub: string, expiresAtSeconds: number, secret = SECRET) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime(expiresAtSeconds)
    .sign(new TextEncoder().encode(secret));

afterEach(() => {
  jest.useRealTimers();
});

describe('the authenticator', () => {
  it('answers the subject of a valid token, again and again', async () => {
    const verify = createAuthenticator(config);
    const token = await tokenFor('alice', Math.floor(Date.now() / 1000) + 60);
    expect(await verify(token)).toBe('alice');
    expect(await verify(token)).toBe('alice');
  });

  it('refuses a remembered token once it has expired', async () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const verify = createAuthenticator(config);
    const token = await tokenFor('alice', Date.parse('2026-01-01T00:00:10Z') / 1000);
    expect(await verify(token)).toBe('alice');
    jest.setSystemTime(new Date('2026-01-01T00:00:11Z'));
    await expect(verify(token)).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'the token has expired',
    });
  });

  it('refuses a token signed with another secret, every time', async () => {
    const verify = createAuthenticator(config);
    const forged = await tokenFor('alice', Math.floor(Date.now() / 1000) + 60, 'another-secret');
    await expect(verify(forged)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(verify(forged)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('reads the token of a bearer header, and refuses anything else', () => {
    expect(bearerTokenOf('Bearer abc')).toBe('abc');
    expect(bearerTokenOf('bearer abc')).toBe('abc');
    for (const header of [undefined, '', 'Basic abc', 'Bearer'])
      expect(() => bearerTokenOf(header)).toThrow(AuthenticationError);
  });
});
