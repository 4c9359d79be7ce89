import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { redact } from '@batch/platform';
import { hostOf, RefusedAddressError, resolveDeliverable, type ResolvedAddress } from './address-policy.js';

export interface SignedPost {
  url: string;
  /** `webhook-id`: the delivery's, the same for every attempt. */
  deliveryId: string;
  body: string;
  /** The endpoint's `whsec_` secret. */
  secret: string;
  timeoutMs: number;
  allowPrivate: boolean;
}

export type PostResult =
  /** The receiver answered (any status). */
  | { kind: 'answered'; statusCode: number; durationMs: number }
  /** No answer: DNS, connection, TLS, timeout. Worth another attempt. */
  | { kind: 'failed'; error: string; durationMs: number }
  /** The host resolves to an address webhooks may not reach: never worth another attempt. */
  | { kind: 'refused'; error: string; durationMs: number };

const USER_AGENT = 'batch-platform-webhooks/1.0';
/** Error texts recorded per attempt stay short. */
const MAX_ERROR_LENGTH = 500;

/** Connects to the addresses already checked, never to what a second DNS answer might say. */
const pinnedLookup =
  (addresses: ResolvedAddress[]): LookupFunction =>
  (_hostname, options, callback) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };

function describe(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `timed out after ${timeoutMs} ms`;
  const { code, message } = error as NodeJS.ErrnoException;
  const text = code && !message.includes(code) ? `${code}: ${message}` : message;
  return redact(text).slice(0, MAX_ERROR_LENGTH);
}

function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  addresses: ResolvedAddress[],
  signal: AbortSignal,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinnedLookup(addresses),
        signal,
        // A connection of its own: a pooled one may have been opened to an address checked for another host.
        agent: false,
      },
      (response) => {
        // Only the status counts; the body is read and dropped (the timeout still bounds it).
        response.on('error', () => undefined);
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * One attempt: the host resolved and every address checked (SSRF), the body signed as Standard
 * Webhooks says (`webhook-id`, `webhook-timestamp` of this attempt, `webhook-signature` v1 HMAC), a
 * POST to the checked addresses within the timeout. Never throws: every end is a result.
 */
export async function postSigned(attempt: SignedPost): Promise<PostResult> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(attempt.timeoutMs);
  const url = new URL(attempt.url);
  try {
    const addresses = await resolveDeliverable(hostOf(url), attempt.allowPrivate);
    const timestamp = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': attempt.deliveryId,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(attempt.secret).sign(attempt.deliveryId, timestamp, attempt.body),
    };
    const statusCode = await post(url, attempt.body, headers, addresses, signal);
    return { kind: 'answered', statusCode, durationMs: durationMs() };
  } catch (error) {
    if (error instanceof RefusedAddressError)
      return { kind: 'refused', error: error.message, durationMs: durationMs() };
    return { kind: 'failed', error: describe(error, signal, attempt.timeoutMs), durationMs: durationMs() };
  }
}
