import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { CreatedWebhook, WebhookDeliveryList, WebhookList, WebhookView } from '@batch/contracts';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { WebhooksService } from './webhooks.service.js';

/** The user's webhook endpoints (`/api/v1/webhooks`) and the attempts of their deliveries. */
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  create(@CurrentUser() userId: string, @Body() body: unknown): Promise<CreatedWebhook> {
    return this.webhooks.create(userId, body);
  }

  @Get()
  list(@CurrentUser() userId: string): Promise<WebhookList> {
    return this.webhooks.list(userId);
  }

  @Get(':id')
  get(@CurrentUser() userId: string, @Param('id') id: string): Promise<WebhookView> {
    return this.webhooks.get(userId, id);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentUser() userId: string, @Param('id') id: string): Promise<void> {
    return this.webhooks.remove(userId, id);
  }

  /** Every attempt, newest first, a page at a time. */
  @Get(':id/deliveries')
  deliveries(
    @CurrentUser() userId: string,
    @Param('id') id: string,
    @Query() query: unknown,
  ): Promise<WebhookDeliveryList> {
    return this.webhooks.deliveries(userId, id, query);
  }
}
