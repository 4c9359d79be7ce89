import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SeedCreateBackupBody, type BackupView, type SeedBackupCreated } from '@batch/contracts';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { BackupClient } from '../backups/backup.client.js';
import { BackupDownloads } from '../backups/backup-downloads.js';
import { backupIdOf } from '../backups/backups.controller.js';
import { parseRequest } from '../http/parse-request.js';

/** Seeds 000, 001 and 003's backup routes, answering as their clients read them. */
@Controller('api/backup')
export class SeedBackupsController {
  constructor(
    private readonly backups: BackupClient,
    private readonly downloads: BackupDownloads,
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
}
