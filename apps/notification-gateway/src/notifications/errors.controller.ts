import { Controller, Get, Param } from '@nestjs/common';
import type { ErrorDetailsView } from '@batch/contracts';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ApiError } from '../http/api-error.js';
import { ErrorReports } from './error-reports.js';

const ERROR_ID = /^err-[0-9a-f]{24}$/;

/** The details of an error a user was notified of (the console's error details modal). */
@Controller('api/v1/errors')
export class ErrorsController {
  constructor(private readonly reports: ErrorReports) {}

  @Get(':errorId')
  async get(@CurrentUser() userId: string, @Param('errorId') errorId: string): Promise<ErrorDetailsView> {
    const found = ERROR_ID.test(errorId) ? await this.reports.find(userId, errorId) : undefined;
    if (!found) throw new ApiError('not_found', `error ${errorId.slice(0, 100)} not found`);
    return found;
  }
}
