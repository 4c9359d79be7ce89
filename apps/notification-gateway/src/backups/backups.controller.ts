import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  BackupId,
  CreateBackupBody,
  ListBackupsQuery,
  ProgressId,
  RestoreQuery,
  type BackupList,
  type BackupView,
  type DownloadLink,
  type RestoreProgress,
  type RestoreResult,
  type RestoreStarted,
} from '@batch/contracts';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { ApiError } from '../http/api-error.js';
import { parseRequest } from '../http/parse-request.js';
import { BackupClient } from './backup.client.js';
import { BackupDownloads } from './backup-downloads.js';
import { BackupRestores } from './backup-restores.js';

/** A path id that cannot name a backup names none of this user's either: 404, like any other. */
export function backupIdOf(id: string): string {
  if (!BackupId.safeParse(id).success)
    throw new ApiError('not_found', `backup ${id.slice(0, 100)} not found`);
  return id;
}

/** The native backup API (`/api/v1/backups`). */
@Controller('api/v1/backups')
export class BackupsController {
  constructor(
    private readonly backups: BackupClient,
    private readonly downloads: BackupDownloads,
    private readonly restores: BackupRestores,
  ) {}

  @Post()
  @HttpCode(201)
  create(@CurrentUser() userId: string, @Body() body: unknown): Promise<BackupView> {
    return this.backups.command('create', { userId, ...parseRequest(CreateBackupBody, body, 'backup') });
  }

  @Get()
  list(@CurrentUser() userId: string, @Query() query: unknown): Promise<BackupList> {
    return this.backups.query('list', { userId, ...parseRequest(ListBackupsQuery, query, 'query') });
  }

  @Get(':id')
  get(@CurrentUser() userId: string, @Param('id') id: string): Promise<BackupView> {
    return this.backups.query('get', { userId, backupId: backupIdOf(id) });
  }

  /** The gzip as stored, its sha256 in `X-Backup-Sha256`; a bearer token or a download link's ticket. */
  @Public()
  @Get(':id/download')
  async download(@Param('id') id: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const backupId = backupIdOf(id);
    const userId = await this.downloads.userOf(request, backupId);
    await this.downloads.send(userId, backupId, 'gzip', response);
  }

  @Post(':id/download-link')
  @HttpCode(200)
  downloadLink(@CurrentUser() userId: string, @Param('id') id: string): Promise<DownloadLink> {
    return this.downloads.link(userId, backupIdOf(id));
  }

  /** Restores the backup's conversations as the user's: 202 `{progressId}`, or 200 with the result (`?wait=true`). */
  @Post(':id/restore')
  async restore(
    @CurrentUser() userId: string,
    @Param('id') id: string,
    @Query() query: unknown,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RestoreStarted | RestoreResult> {
    const wait = parseRequest(RestoreQuery, query, 'query').wait === 'true';
    const answer = await this.restores.fromBackup(userId, backupIdOf(id), wait);
    response.status(wait ? 200 : 202);
    return answer;
  }
}

/** Restores' progress (`/api/v1/restores/:id`), in seed 003's shape. */
@Controller('api/v1/restores')
export class RestoresController {
  constructor(private readonly restores: BackupRestores) {}

  @Get(':id')
  get(@CurrentUser() userId: string, @Param('id') id: string): Promise<{ progress: RestoreProgress }> {
    if (!ProgressId.safeParse(id).success)
      throw new ApiError('not_found', `restore ${id.slice(0, 100)} not found`);
    return this.restores.progress(userId, id);
  }
}
