import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import {
  CleanupBody,
  ListBatchesQuery,
  ListItemsQuery,
  ResultsQuery,
  ResumeBody,
  type BatchList,
  type BatchStats,
  type BatchView,
  type CleanupResult,
  type ItemPage,
  type RecoverResult,
} from '@batch/contracts';
import { batchStats } from '@batch/persistence';
import { DATA_SOURCE } from '@batch/platform';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { batchIdOf, parseRequest } from '../http/parse-request.js';
import { BatchesService } from './batches.service.js';
import { ResultsStreamer } from './results.streamer.js';

/** JSON that PostgreSQL built, answered as it is. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** The native batch API (`/api/v1/batches`): parse, call the use case, answer the view. */
@Controller('api/v1/batches')
export class BatchesController {
  constructor(
    private readonly batches: BatchesService,
    private readonly results: ResultsStreamer,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
  ) {}

  @Post()
  @HttpCode(201)
  create(@CurrentUser() userId: string, @Body() body: unknown): Promise<BatchView> {
    return this.batches.createFromBody(userId, body);
  }

  @Get()
  @Header('Content-Type', JSON_TYPE)
  list(@CurrentUser() userId: string, @Query() query: unknown): Promise<string> {
    return this.batches.listJson(userId, parseRequest(ListBatchesQuery, query, 'query'));
  }

  @Get('incomplete')
  incomplete(@CurrentUser() userId: string): Promise<BatchList> {
    return this.batches.incomplete(userId);
  }

  @Post('recover')
  @HttpCode(200)
  recover(@CurrentUser() userId: string): Promise<RecoverResult> {
    return this.batches.recover(userId);
  }

  @Post('cleanup')
  @HttpCode(200)
  async cleanup(@CurrentUser() userId: string, @Body() body: unknown): Promise<CleanupResult> {
    const { days_old } = parseRequest(CleanupBody, body, 'cleanup');
    const { cleaned_count } = await this.batches.cleanup(userId, days_old);
    return { cleaned_count, days_old };
  }

  @Get(':id')
  @Header('Content-Type', JSON_TYPE)
  get(@CurrentUser() userId: string, @Param('id') id: string): Promise<string> {
    return this.batches.getJson(userId, batchIdOf(id));
  }

  @Get(':id/items')
  items(@CurrentUser() userId: string, @Param('id') id: string, @Query() query: unknown): Promise<ItemPage> {
    return this.batches.items(userId, batchIdOf(id), parseRequest(ListItemsQuery, query, 'query'));
  }

  /** JSON `{items}`, or JSON Lines or CSV by Content-Type. */
  @Post(':id/items')
  @HttpCode(200)
  addItems(
    @CurrentUser() userId: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
  ): Promise<BatchView> {
    return this.batches.addItemsFromBody(userId, batchIdOf(id), body, contentType);
  }

  @Get(':id/results')
  async streamResults(
    @CurrentUser() userId: string,
    @Param('id') id: string,
    @Query() query: unknown,
    @Res() response: Response,
  ): Promise<void> {
    const batchId = batchIdOf(id);
    const options = parseRequest(ResultsQuery, query, 'query');
    await this.batches.get(userId, batchId);
    await this.results.stream(userId, batchId, options, response);
  }

  /** Dataset statistics, computed by PostgreSQL over the batch's rows (also while it runs). */
  @Get(':id/stats')
  async stats(@CurrentUser() userId: string, @Param('id') id: string): Promise<BatchStats> {
    const batchId = batchIdOf(id);
    await this.batches.get(userId, batchId);
    return batchStats(this.ds, { userId, batchId });
  }

  @Post(':id/start')
  @HttpCode(200)
  start(@CurrentUser() userId: string, @Param('id') id: string): Promise<BatchView> {
    return this.batches.command('start', userId, batchIdOf(id));
  }

  @Post(':id/pause')
  @HttpCode(200)
  pause(@CurrentUser() userId: string, @Param('id') id: string): Promise<BatchView> {
    return this.batches.command('pause', userId, batchIdOf(id));
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(@CurrentUser() userId: string, @Param('id') id: string, @Body() body: unknown): Promise<BatchView> {
    const { configOverrides } = parseRequest(ResumeBody, body, 'resume');
    return this.batches.resume(userId, batchIdOf(id), configOverrides);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentUser() userId: string, @Param('id') id: string): Promise<BatchView> {
    return this.batches.command('cancel', userId, batchIdOf(id));
  }

  @Post(':id/retry-failed')
  @HttpCode(200)
  retryFailed(@CurrentUser() userId: string, @Param('id') id: string): Promise<BatchView> {
    return this.batches.command('retry-failed', userId, batchIdOf(id));
  }

  @Delete(':id')
  @HttpCode(204)
  discard(@CurrentUser() userId: string, @Param('id') id: string): Promise<void> {
    return this.batches.discard(userId, batchIdOf(id));
  }
}
