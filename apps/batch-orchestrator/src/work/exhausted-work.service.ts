import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { itemFailed } from '@batch/batch-domain';
import { PROVIDER_ERRORS, type BatchEvent, type ItemOutcome, type Names } from '@batch/contracts';
import type { EventStore } from '@batch/event-store';
import { maxDeliveriesAdvisories, WorkMessage } from '@batch/messaging';
import { commandMetadata, JETSTREAM_MANAGER, LOGGER, NAMES, NATS, type Logger } from '@batch/platform';
import { EVENT_STORE } from '../infrastructure/stores.js';

interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

/**
 * A work message delivered `WORK_MAX_DELIVER` times without an acknowledgement (its workers kept
 * crashing) is never delivered again. JetStream says so in an advisory; its items then fail as
 * `permanent`, so the batch can end, and the message leaves the queue.
 */
@Injectable()
export class ExhaustedWorkService implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    @Inject(NAMES) private readonly names: Names,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(EVENT_STORE) private readonly events: EventStore<BatchEvent>,
  ) {}

  onApplicationBootstrap(): void {
    const { nc, names } = this;
    this.subscription = nc.subscribe(maxDeliveriesAdvisories(names), {
      queue: 'batch-orchestrator',
      callback: (error, message) => {
        if (!error) void this.fail(message.json<MaxDeliveriesAdvisory>());
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  private async fail(advisory: MaxDeliveriesAdvisory): Promise<void> {
    const { jsm, events, names, logger } = this;
    try {
      const stored = await jsm.streams.getMessage(names.workStream, { seq: advisory.stream_seq });
      if (!stored) return;
      const work = WorkMessage.parse(stored.json());
      const metadata = commandMetadata();
      const outcomes: ItemOutcome[] = work.items.map((item) =>
        itemFailed(
          work.batchId,
          {
            itemId: item.id,
            attempt: item.attempt,
            error: {
              code: 'ERR_GEN_RETRIES_EXHAUSTED',
              category: 'permanent',
              message: `${PROVIDER_ERRORS.ERR_GEN_RETRIES_EXHAUSTED.message}: no worker finished it in ${advisory.deliveries} deliveries`,
              retryable: false,
            },
          },
          metadata,
        ),
      );
      await events.append(work.batchId, outcomes);
      await jsm.streams.deleteMessage(names.workStream, advisory.stream_seq);
      logger.warn(
        { batchId: work.batchId, items: outcomes.length, deliveries: advisory.deliveries },
        'work exhausted its deliveries',
      );
    } catch (error) {
      logger.error({ err: error, seq: advisory.stream_seq }, 'could not fail exhausted work');
    }
  }
}
