import 'reflect-metadata';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { BackupsController, RestoresController } from '../backups/backups.controller.js';
import { BatchesController } from '../batches/batches.controller.js';
import { ConversationsController } from '../conversations/conversations.controller.js';
import { HealthController } from '../health/health.controller.js';
import { ErrorsController } from '../notifications/errors.controller.js';
import { OperationsController } from '../operations/operations.controller.js';
import { SeedBackupsController } from '../seed/seed-backups.controller.js';
import { SeedBatchesController } from '../seed/seed-batches.controller.js';
import { WebhooksController } from '../webhooks/webhooks.controller.js';
import { DocsController } from './docs.controller.js';

/** The gateway's controllers: what it serves. */
export const CONTROLLERS: Type[] = [
  BatchesController,
  ConversationsController,
  SeedBatchesController,
  BackupsController,
  RestoresController,
  SeedBackupsController,
  OperationsController,
  ErrorsController,
  WebhooksController,
  HealthController,
  DocsController,
];

/** Every route Nest serves, as `METHOD /path/{param}`, read from the controllers' own decorators. */
export function servedRoutes(controllers: Type[] = CONTROLLERS): string[] {
  return controllers.flatMap((controller) => {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    return Object.getOwnPropertyNames(controller.prototype).flatMap((name) => {
      const handler = controller.prototype[name];
      const path = Reflect.getMetadata(PATH_METADATA, handler);
      const method = Reflect.getMetadata(METHOD_METADATA, handler);
      if (path === undefined || method === undefined) return [];
      const full = `/${[prefix, String(path)].filter((part) => part && part !== '/').join('/')}`;
      return [`${RequestMethod[method as RequestMethod]} ${full.replace(/:(\w+)/g, '{$1}')}`];
    });
  });
}
