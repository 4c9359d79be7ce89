import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { itemFailed } from '@batch/batch-domain';
import type { ItemOutcome } from '@batch/contracts';
import { maxDeliveriesAdvisories, WorkMessage } from '@batch/messaging';
import { RUNTIME, type OrchestratorRuntime } from '../infrastructure/runtime.js';

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

  constructor(@Inject(RUNTIME) private readonly runtime: OrchestratorRuntime) {}

  onApplicationBootstrap(): void {
    const { nc, names } = this.runtime;
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
    const { jsm, events, names, logger } = this.runtime;
    try {
      const stored = await jsm.streams.getMessage(names.workStream, { seq: advisory.stream_seq });
      if (!stored) return;
      const work = WorkMessage.parse(stored.json());
      const metadata = { now: new Date().toISOString(), newEventId: randomUUID };
      const outcomes: ItemOutcome[] = work.items.map((item) =>
        itemFailed(
          work.batchId,
          {
            itemId: item.id,
            attempt: item.attempt,
            error: {
              code: 'retries_exhausted',
              category: 'permanent',
              message: `no worker finished it in ${advisory.deliveries} deliveries`,
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
