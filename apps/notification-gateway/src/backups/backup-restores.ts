import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { RestoreProgress, RestoreResult, RestoreStarted, UploadUrl } from '@batch/contracts';
import { SETTINGS } from '@batch/platform';
import type { GatewayConfig } from '../config/gateway.config.js';
import { ApiError } from '../http/api-error.js';
import { BackupClient } from './backup.client.js';

/** Bodies up to this size are held, so that a PUT the store failed (a 5xx, a dropped connection) is sent again. */
const REPLAYABLE_BYTES = 1024 * 1024;
const PUT_ATTEMPTS = 3;

/**
 * Sends `body` (`length` bytes) to a presigned PUT URL. A small body is read first and sent up to
 * PUT_ATTEMPTS times, as S3 clients retry a 5xx; a large one streams through once (it cannot be
 * sent again without holding it), and a failure is the caller's to retry.
 */
async function putObject(url: string, body: Readable, length: number): Promise<void> {
  if (length > REPLAYABLE_BYTES) return putOnce(url, body, length);
  const bytes = await buffer(body);
  for (let attempt = 1; ; attempt++) {
    try {
      return await putOnce(url, Readable.from([bytes]), length);
    } catch (error) {
      if (attempt >= PUT_ATTEMPTS) throw error;
    }
  }
}

/** Streams `body` to a presigned PUT URL; resolves once the store answered 200. */
async function putOnce(url: string, body: Readable, length: number): Promise<void> {
  const target = new URL(url);
  const upload = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
    method: 'PUT',
    headers: { 'content-length': length },
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    upload.once('response', resolve);
    upload.once('error', reject);
  });
  try {
    await pipeline(body, upload);
    const response = await answered;
    response.resume();
    if (response.statusCode !== 200) throw new Error(`the store answered ${response.statusCode}`);
  } catch {
    upload.destroy();
    throw new ApiError('unavailable', 'the backup store did not take the upload, try again shortly');
  }
}

/**
 * Restores: an uploaded backup file goes to storage as it arrives (through a URL the backup service
 * signs; the gateway never holds the file), then the backup service checks and restores it.
 */
@Injectable()
export class BackupRestores {
  constructor(
    private readonly backups: BackupClient,
    @Inject(SETTINGS) private readonly settings: GatewayConfig,
  ) {}

  async fromUpload(userId: string, body: Request, wait: boolean): Promise<RestoreStarted | RestoreResult> {
    const length = Number(body.headers['content-length']);
    if (!Number.isInteger(length) || length <= 0)
      throw new ApiError('length_required', 'send the backup file with a Content-Length header');
    if (length > this.settings.MAX_RESTORE_BYTES)
      throw new ApiError(
        'payload_too_large',
        `a backup file may have at most ${this.settings.MAX_RESTORE_BYTES} bytes`,
      );
    const { url, uploadKey } = await this.backups.command<UploadUrl>('upload-url', { userId });
    await putObject(url, body, length);
    return this.backups.command('restore', { userId, source: { uploadKey }, wait });
  }

  fromBackup(userId: string, backupId: string, wait: boolean): Promise<RestoreStarted | RestoreResult> {
    return this.backups.command('restore', { userId, source: { backupId }, wait });
  }

  progress(userId: string, progressId: string): Promise<{ progress: RestoreProgress }> {
    return this.backups.query('restore', { userId, progressId });
  }
}
