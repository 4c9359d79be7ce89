import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses a webhook may be delivered to (SSRF: a URL must not reach into our own network).
 * Only globally routed unicast: private, loopback, link-local, unique-local, carrier-grade NAT,
 * multicast, broadcast, unspecified, reserved and documentation ranges are refused, and so are the
 * IPv6 forms that embed an IPv4 address (mapped ones are judged as the IPv4 address they carry;
 * NAT64, 6to4 and Teredo are refused whole). `ipaddr.js` names the ranges.
 */
export function refusedRange(address: string): string | undefined {
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  return range === 'unicast' ? undefined : range;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** The URL's host resolves to an address webhooks may not reach. */
export class RefusedAddressError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      `${host} resolves to ${address}, in the ${range} range: webhooks are delivered to public addresses only` +
        ' (WEBHOOK_ALLOW_PRIVATE=true allows others)',
    );
    this.name = 'RefusedAddressError';
  }
}

/** The URL's host does not resolve (now): at creation a refusal, at delivery a failed attempt. */
export class UnresolvedHostError extends Error {
  constructor(
    readonly host: string,
    cause: unknown,
  ) {
    super(`${host} does not resolve (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`);
    this.name = 'UnresolvedHostError';
  }
}

/** A URL's hostname as DNS takes it: an IPv6 literal without its brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Every address the host resolves to, each checked: one refused address refuses the host (a
 * resolver answering a public and a private address must not get to choose). The caller connects
 * to these very addresses, so a second lookup cannot answer otherwise (DNS rebinding).
 */
export async function resolveDeliverable(host: string, allowPrivate: boolean): Promise<ResolvedAddress[]> {
  let resolved: { address: string; family: number }[];
  try {
    resolved = await lookup(host, { all: true, verbatim: true });
  } catch (error) {
    throw new UnresolvedHostError(host, error);
  }
  if (resolved.length === 0) throw new UnresolvedHostError(host, new Error('no address'));
  const addresses = resolved.map(({ address, family }): ResolvedAddress => ({
    address,
    family: family === 6 ? 6 : 4,
  }));
  if (!allowPrivate)
    for (const { address } of addresses) {
      const range = refusedRange(address);
      if (range) throw new RefusedAddressError(host, address, range);
    }
  return addresses;
}
