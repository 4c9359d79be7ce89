import { randomBytes } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Names } from '@batch/contracts';
import { NAMES, NATS, SETTINGS } from '@batch/platform';
import type { GatewayConfig } from '../config/gateway.config.js';
import { ApiError } from '../http/api-error.js';

export const DOWNLOAD_TICKETS = Symbol('DOWNLOAD_TICKETS');

/**
 * Single-use tickets that open one backup's download without a bearer header (a browser's
 * `window.open`). They live in a KV bucket whose entries expire after DOWNLOAD_LINK_TTL_MS, so any
 * gateway replica redeems them; redeeming deletes the entry at the revision read, so two requests
 * racing with one ticket get one download.
 */
export interface DownloadTickets {
  issue(userId: string, backupId: string): Promise<{ ticket: string; expiresAt: Date }>;
  /** The user the ticket was issued to; an unknown, expired, used or other backup's ticket is a 401. */
  redeem(ticket: string, backupId: string): Promise<string>;
}

const TICKET = /^[A-Za-z0-9_-]{43}$/;
const refused = () => new ApiError('unauthorized', 'the download link expired or was already used');

export function downloadTickets(kv: KV, ttlMs: number): DownloadTickets {
  return {
    issue: async (userId, backupId) => {
      const ticket = randomBytes(32).toString('base64url');
      await kv.create(ticket, JSON.stringify({ userId, backupId }));
      return { ticket, expiresAt: new Date(Date.now() + ttlMs) };
    },
    redeem: async (ticket, backupId) => {
      if (!TICKET.test(ticket)) throw refused();
      const entry = await kv.get(ticket);
      if (!entry || entry.operation !== 'PUT') throw refused();
      const issued = entry.json<{ userId: string; backupId: string }>();
      if (issued.backupId !== backupId) throw refused();
      await kv.delete(ticket, { previousSeq: entry.revision }).catch(() => {
        throw refused();
      });
      return issued.userId;
    },
  };
}

export const downloadTicketsProvider = {
  provide: DOWNLOAD_TICKETS,
  inject: [NATS, NAMES, SETTINGS],
  useFactory: async (nc: NatsConnection, names: Names, settings: GatewayConfig) =>
    downloadTickets(
      await new Kvm(nc).create(names.downloadTicketBucket, {
        history: 1,
        ttl: settings.DOWNLOAD_LINK_TTL_MS,
      }),
      settings.DOWNLOAD_LINK_TTL_MS,
    ),
};
