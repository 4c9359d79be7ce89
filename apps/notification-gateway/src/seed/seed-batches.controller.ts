import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  SeedCleanupBody,
  type BatchView,
  type SeedBatchList,
  type SeedBatchStatus,
  type SeedCleanupResult,
  type SeedCommandResult,
  type SeedRecoverResult,
  type SeedStartResult,
} from '@batch/contracts';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { BatchesService } from '../batches/batches.service.js';
import { batchIdOf, parseRequest } from '../http/parse-request.js';

/** The seed's batch status: its field names, its `session_id` (kept in the batch config). */
export function seedStatusOf(view: BatchView): SeedBatchStatus {
  const sessionId = view.config['session_id'];
  return {
    batch_id: view.batch_id,
    session_id: typeof sessionId === 'string' || typeof sessionId === 'number' ? sessionId : null,
    status: view.status,
    total_photos: view.total_items,
    processed_count: view.processed_count,
    failed_count: view.failed_count,
    progress_percent: view.progress_percent,
    created_at: view.created_at,
    started_at: view.started_at,
    paused_at: view.paused_at,
    completed_at: view.completed_at,
  };
}

/**
 * Seed 002's batch controller routes (`/batch/...`), answering with the fields and messages its
 * Python and JavaScript clients read. Each id becomes an item; its topic names it.
 */
@Controller('batch')
export class SeedBatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Post('start')
  @HttpCode(200)
  async start(@CurrentUser() userId: string, @Body() body: unknown): Promise<SeedStartResult> {
    const { view, count } = await this.batches.startFromSeedBody(userId, body);
    return { message: 'Batch processing started', batch_id: view.batch_id, photo_count: count };
  }

  @Get('list')
  async list(@CurrentUser() userId: string): Promise<SeedBatchList> {
    const batches = (await this.batches.listAll(userId)).map(seedStatusOf);
    return { batches, count: batches.length };
  }

  @Post('recover')
  @HttpCode(200)
  async recover(@CurrentUser() userId: string): Promise<SeedRecoverResult> {
    const { recovered_count, failed_count } = await this.batches.recover(userId);
    return {
      message: 'Batch recovery completed',
      recovered_count,
      failed_count,
      timestamp: new Date().toISOString(),
    };
  }

  @Post('cleanup')
  @HttpCode(200)
  async cleanup(@CurrentUser() userId: string, @Body() body: unknown): Promise<SeedCleanupResult> {
    const { days_old } = parseRequest(SeedCleanupBody, body, 'cleanup');
    const { cleaned_count } = await this.batches.cleanup(userId, days_old);
    return { message: 'Batch cleanup completed', cleaned_count, days_old };
  }

  @Get(':id/status')
  async status(@CurrentUser() userId: string, @Param('id') id: string): Promise<SeedBatchStatus> {
    return seedStatusOf(await this.batches.get(userId, batchIdOf(id)));
  }

  @Post(':id/pause')
  @HttpCode(200)
  async pause(@CurrentUser() userId: string, @Param('id') id: string): Promise<SeedCommandResult> {
    const view = await this.batches.command('pause', userId, batchIdOf(id));
    return { message: 'Batch paused successfully', batch_id: view.batch_id };
  }

  @Post(':id/resume')
  @HttpCode(200)
  async resume(@CurrentUser() userId: string, @Param('id') id: string): Promise<SeedCommandResult> {
    const view = await this.batches.resume(userId, batchIdOf(id));
    return { message: 'Batch resumed successfully', batch_id: view.batch_id };
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@CurrentUser() userId: string, @Param('id') id: string): Promise<SeedCommandResult> {
    const view = await this.batches.command('cancel', userId, batchIdOf(id));
    return { message: 'Batch cancelled successfully', batch_id: view.batch_id };
  }
}
