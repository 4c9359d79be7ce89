import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ProgressId,
  RestoreQuery,
  SeedCreateBackupBody,
  type BackupView,
  type RestoreProgress,
  type RestoreResult,
  type RestoreStarted,
  type SeedBackupCreated,
} from '@batch/contracts';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { BackupClient } from '../backups/backup.client.js';
import { BackupDownloads } from '../backups/backup-downloads.js';
import { BackupRestores } from '../backups/backup-restores.js';
import { backupIdOf } from '../backups/backups.controller.js';
import { ApiError } from '../http/api-error.js';
import { parseRequest } from '../http/parse-request.js';

/** Seeds 000, 001 and 003's backup routes, answering as their clients read them. */
@Controller('api/backup')
export class SeedBackupsController {
  constructor(
    private readonly backups: BackupClient,
    private readonly downloads: BackupDownloads,
    private readonly restores: BackupRestores,
  ) {}

  /** Answers once the backup can be downloaded; a failed backup is an error (the caller must not delete). */
  @Post('create')
  @HttpCode(200)
  async create(@CurrentUser() userId: string, @Body() body: unknown): Promise<SeedBackupCreated> {
    const { conversationIds, reason } = parseRequest(SeedCreateBackupBody, body, 'backup');
    const backup = await this.backups.command<BackupView>('create', { userId, conversationIds, reason });
    return {
      backupId: backup.backup_id,
      filePath: backup.file_path,
      expiresAt: backup.expires_at,
      conversationCount: backup.conversation_count,
      skippedIds: backup.skipped_ids,
    };
  }

  /** The v1.0 JSON, decompressed as it streams; a bearer token or a download link's ticket. */
  @Public()
  @Get('download/:backupId')
  async download(
    @Param('backupId') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const backupId = backupIdOf(id);
    const userId = await this.downloads.userOf(request, backupId);
    await this.downloads.send(userId, backupId, 'json', response);
  }

  /** Seed 003: the user's whole export (every conversation), v1.0, streamed. */
  @Get()
  async export(@CurrentUser() userId: string, @Res() response: Response): Promise<void> {
    const backup = await this.backups.command<BackupView>('create', {
      userId,
      all: true,
      reason: 'full_export',
    });
    await this.downloads.send(userId, backup.backup_id, 'json', response);
  }

  /**
   * Seed 003: restores the backup in the body (`{backupData}` or the file itself, streamed to
   * storage, never held here): `{progressId}` at once, or the result with `?wait=true`.
   */
  @Post()
  @HttpCode(200)
  restore(
    @CurrentUser() userId: string,
    @Req() request: Request,
    @Query() query: unknown,
  ): Promise<RestoreStarted | RestoreResult> {
    const { wait } = parseRequest(RestoreQuery, query, 'query');
    return this.restores.fromUpload(userId, request, wait === 'true');
  }

  /** Seed 003: a restore's progress, as its polling loop reads it (an unknown id is a 404). */
  @Get('progress')
  progress(@CurrentUser() userId: string, @Query('id') id: unknown): Promise<{ progress: RestoreProgress }> {
    if (typeof id !== 'string' || !ProgressId.safeParse(id).success)
      throw new ApiError('not_found', 'no restore with this id');
    return this.restores.progress(userId, id);
  }
}
