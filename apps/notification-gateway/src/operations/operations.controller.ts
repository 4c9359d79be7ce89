import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { BulkDeleteBody, OperationId, type OperationStarted, type OperationView } from '@batch/contracts';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { BackupClient } from '../backups/backup.client.js';
import { ApiError } from '../http/api-error.js';
import { parseRequest } from '../http/parse-request.js';

const operationIdOf = (id: string): string => {
  if (!OperationId.safeParse(id).success)
    throw new ApiError('not_found', `operation ${id.slice(0, 100)} not found`);
  return id;
};

/** Bulk deletes with their pre-delete backup (the saga in the backup service), and their progress. */
@Controller('api/v1')
export class OperationsController {
  constructor(private readonly backups: BackupClient) {}

  @Post('conversations/bulk-delete')
  @HttpCode(202)
  bulkDelete(@CurrentUser() userId: string, @Body() body: unknown): Promise<OperationStarted> {
    return this.backups.operation('bulk-delete', {
      userId,
      ...parseRequest(BulkDeleteBody, body, 'bulk delete'),
    });
  }

  @Get('operations/:id')
  get(@CurrentUser() userId: string, @Param('id') id: string): Promise<OperationView> {
    return this.backups.operation('operation', { userId, operationId: operationIdOf(id) });
  }

  @Post('operations/:id/confirm')
  @HttpCode(200)
  confirm(@CurrentUser() userId: string, @Param('id') id: string): Promise<OperationView> {
    return this.backups.operation('confirm', { userId, operationId: operationIdOf(id) });
  }

  @Post('operations/:id/cancel')
  @HttpCode(200)
  cancel(@CurrentUser() userId: string, @Param('id') id: string): Promise<OperationView> {
    return this.backups.operation('cancel', { userId, operationId: operationIdOf(id) });
  }
}
