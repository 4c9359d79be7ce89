import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import {
  ConversationId,
  isValidationError,
  ListConversationsQuery,
  validate,
  type ConversationDetail,
  type ConversationList,
} from '@batch/contracts';
import { getConversation, listConversations } from '@batch/persistence';
import { DATA_SOURCE } from '@batch/platform';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ApiError, validationError } from '../http/api-error.js';
import { parseRequest } from '../http/parse-request.js';

/** A cursor the query cannot decode is the caller's mistake: 422 naming it, like any other field. */
function asApiError(error: unknown): never {
  throw isValidationError(error) ? validationError(error.what, error.issues) : error;
}

/**
 * The user's generated conversations (`/api/v1/conversations`), read straight from PostgreSQL: the
 * worker writes them there, so there is no projection to wait for.
 */
@Controller('api/v1/conversations')
export class ConversationsController {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  @Get()
  async list(@CurrentUser() userId: string, @Query() query: unknown): Promise<ConversationList> {
    const { batchId, cursor, limit } = parseRequest(ListConversationsQuery, query, 'query');
    const page = await listConversations(this.ds, { userId, batchId, cursor, limit }).catch(asApiError);
    return { conversations: page.items, next_cursor: page.next_cursor };
  }

  /** Another user's conversation, or an id that cannot name one, is not found. */
  @Get(':id')
  async get(@CurrentUser() userId: string, @Param('id') id: string): Promise<ConversationDetail> {
    const conversation = validate(ConversationId, id).success
      ? await getConversation(this.ds, userId, id)
      : undefined;
    if (!conversation) throw new ApiError('not_found', `conversation ${id.slice(0, 100)} not found`);
    return conversation;
  }
}
