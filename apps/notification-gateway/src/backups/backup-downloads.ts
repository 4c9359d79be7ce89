import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { DownloadLink, StoredObject } from '@batch/contracts';
import { AUTHENTICATOR } from '../auth/auth.guard.js';
import { bearerTokenOf, type Authenticate } from '../auth/authenticator.js';
import { ApiError } from '../http/api-error.js';
import { BackupClient } from './backup.client.js';
import { DOWNLOAD_TICKETS, type DownloadTickets } from './download-tickets.js';

/** How a backup is downloaded: the v1.0 JSON (decompressed on the way), or the gzip as stored. */
export type DownloadFormat = 'json' | 'gzip';

/**
 * Backup downloads: the caller is who the bearer token or a download link's ticket says; the
 * object is read from the store through a short-lived URL the backup service signs and streamed to
 * the client as it arrives (the gateway holds no S3 credentials and never the whole file).
 */
@Injectable()
export class BackupDownloads {
  constructor(
    private readonly backups: BackupClient,
    @Inject(DOWNLOAD_TICKETS) private readonly tickets: DownloadTickets,
    @Inject(AUTHENTICATOR) private readonly authenticate: Authenticate,
  ) {}

  async link(userId: string, backupId: string): Promise<DownloadLink> {
    await this.backups.query('download', { userId, backupId });
    const { ticket, expiresAt } = await this.tickets.issue(userId, backupId);
    return {
      url: `/api/backup/download/${backupId}?ticket=${ticket}`,
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** The user a download request is made by: its ticket's, else its bearer token's. */
  userOf(request: Request, backupId: string): Promise<string> {
    const { ticket } = request.query;
    if (typeof ticket === 'string') return this.tickets.redeem(ticket, backupId);
    return this.authenticate(bearerTokenOf(request.headers.authorization));
  }

  async send(userId: string, backupId: string, format: DownloadFormat, response: Response): Promise<void> {
    const stored = await this.backups.query<StoredObject>('download', { userId, backupId });
    const upstream = await fetch(stored.url).catch(() => undefined);
    if (!upstream?.ok || !upstream.body)
      throw new ApiError('unavailable', 'the backup store did not answer, try again shortly');
    const body = Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>);
    response.status(200);
    response.setHeader('X-Backup-Sha256', stored.sha256);
    if (format === 'json') {
      response.setHeader('Content-Type', 'application/json; charset=utf-8');
      response.setHeader('Content-Disposition', `attachment; filename="${backupId}.json"`);
      await pipeline(body, createGunzip(), response);
    } else {
      response.setHeader('Content-Type', 'application/gzip');
      response.setHeader('Content-Length', String(stored.sizeBytes));
      response.setHeader('Content-Disposition', `attachment; filename="${backupId}.json.gz"`);
      await pipeline(body, response);
    }
  }
}
