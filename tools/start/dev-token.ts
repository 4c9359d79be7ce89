import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt, SignJWT } from 'jose';

export interface AuthSecret {
  secret: string;
  /** AUTH_JWT_SECRET, the file under DATA_DIR, or generated just now (and saved there). */
  origin: 'env' | 'file' | 'generated';
  path?: string;
}

/** AUTH_JWT_SECRET, else one generated once and kept under DATA_DIR so that tokens survive restarts. */
export async function authSecret(configured: string | undefined, dataDir: string): Promise<AuthSecret> {
  if (configured) return { secret: configured, origin: 'env' };
  const path = join(dataDir, 'auth-secret');
  const saved = await readFile(path, 'utf8').catch(() => '');
  if (saved.trim()) return { secret: saved.trim(), origin: 'file', path };
  const secret = randomBytes(32).toString('base64url');
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return { secret, origin: 'generated', path };
}

export interface DevTokenClaims {
  user: string;
  /** As jose reads it: `30d`, `12h`. */
  ttl: string;
  issuer?: string;
  audience?: string;
}

export interface DevToken {
  token: string;
  user: string;
  expiresAt: Date;
}

/** An HS256 token the gateway accepts (it checks issuer and audience only when they are configured). */
export async function signDevToken(secret: string, claims: DevTokenClaims): Promise<DevToken> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.user).setIssuedAt();
  if (claims.issuer) jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt.setAudience(claims.audience);
  const token = await jwt.setExpirationTime(claims.ttl).sign(new TextEncoder().encode(secret));
  return { token, user: claims.user, expiresAt: new Date(decodeJwt(token).exp! * 1000) };
}
