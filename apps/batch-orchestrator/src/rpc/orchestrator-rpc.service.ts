import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { OrchestratorCommands, OrchestratorQueries, type Names } from '@batch/contracts';
import { serveRequests, type Route } from '@batch/messaging';
import { LOGGER, NAMES, NATS, type Logger } from '@batch/platform';
import { BatchCommandsService } from '../commands/batch-commands.service.js';
import { BatchQueriesService } from '../queries/batch-queries.service.js';
import { toCommandError } from './to-command-error.js';

/** The orchestrator's NATS request/reply surface: `batch.cmd.<name>` and `batch.query.<name>`. */
@Injectable()
export class OrchestratorRpcService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NAMES) private readonly names: Names,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly commands: BatchCommandsService,
    private readonly queries: BatchQueriesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { names, nc, logger } = this;
    const { commands, queries } = this;
    const command = (name: keyof typeof OrchestratorCommands, handle: Route['handle']): Route => ({
      subject: names.command(name),
      schema: OrchestratorCommands[name],
      handle,
    });
    const query = (name: keyof typeof OrchestratorQueries, handle: Route['handle']): Route => ({
      subject: names.query(name),
      schema: OrchestratorQueries[name],
      handle,
    });
    this.subscriptions = serveRequests(
      nc,
      [
        command('create', (request) => commands.create(request)),
        command('add-items', (request) => commands.addItems(request)),
        command('start', (request) => commands.start(request)),
        command('pause', (request) => commands.pause(request)),
        command('resume', (request) => commands.resume(request)),
        command('cancel', (request) => commands.cancel(request)),
        command('retry-failed', (request) => commands.retryFailed(request)),
        command('discard', (request) => commands.discard(request)),
        command('recover', (request) => commands.recover(request)),
        command('cleanup', (request) => commands.cleanup(request)),
        query('get', (request) => queries.get(request)),
        query('list', (request) => queries.list(request)),
        query('incomplete', (request) => queries.incomplete(request)),
        query('items', (request) => queries.items(request)),
      ],
      { queue: 'batch-orchestrator', toCommandError: toCommandError(logger) },
    );
    // Ready means answering: the server has the subscriptions before the ready line is printed.
    await nc.flush();
  }

  onApplicationShutdown(): void {
    this.subscriptions.forEach((subscription) => subscription.unsubscribe());
  }
}
