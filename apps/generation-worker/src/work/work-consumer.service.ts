import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { WorkMessage, WORKERS_CONSUMER } from '@batch/messaging';
import { RUNTIME, type WorkerRuntime } from '../infrastructure/runtime.js';
import { limiter } from './limiter.js';
import { stillQueued } from './still-queued.js';
import { processWork } from './work-processor.js';

/** Pulls work from the shared durable consumer, `WORKER_CONCURRENCY` items at a time. */
@Injectable()
export class WorkConsumerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private messages?: ConsumerMessages;
  private readonly inProcess = new Set<Promise<void>>();

  constructor(@Inject(RUNTIME) private readonly runtime: WorkerRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    const { js, names, config } = this.runtime;
    const consumer = await js.consumers.get(names.workStream, WORKERS_CONSUMER);
    const messageSlots = limiter(config.WORKER_CONCURRENCY);
    const itemSlots = limiter(config.WORKER_CONCURRENCY);
    this.messages = await consumer.consume({ max_messages: config.WORKER_CONCURRENCY * 2 });
    void (async () => {
      for await (const message of this.messages!) {
        // Claimed from the moment it arrives: a message waiting for a slot must not be redelivered.
        const heartbeat = setInterval(
          () => message.working(),
          Math.max(100, this.runtime.work.ackWaitMs / 3),
        );
        const handled = messageSlots(() => this.handle(message, itemSlots)).finally(() =>
          clearInterval(heartbeat),
        );
        this.inProcess.add(handled);
        void handled.finally(() => this.inProcess.delete(handled));
      }
    })();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.messages?.close();
    await Promise.allSettled([...this.inProcess]);
  }

  private async handle(message: JsMsg, itemSlots: ReturnType<typeof limiter>): Promise<void> {
    const { config, committer, ds, logger, jsm, names } = this.runtime;
    const parsed = WorkMessage.safeParse(message.json());
    if (!parsed.success) {
      logger.error({ subject: message.subject, seq: message.seq }, 'malformed work message dropped');
      return void message.term('malformed work message');
    }
    try {
      const outcomes = await processWork(parsed.data, {
        ds,
        logger,
        run: itemSlots,
        retry: { max: config.PROVIDER_MAX_RETRIES, baseDelayMs: config.RETRY_BASE_DELAY_MS },
        providerCallLog: config.PROVIDER_CALL_LOG,
        stillQueued: stillQueued(jsm, names.workStream, message.seq),
      });
      await Promise.all(outcomes.map((outcome) => committer.commit(outcome)));
      message.ack();
    } catch (error) {
      // Storage or NATS trouble, not the provider's: the whole message comes back later.
      logger.error({ err: error, batchId: parsed.data.batchId }, 'work failed; it will be redelivered');
      message.nak(1000 * 2 ** (message.info.deliveryCount - 1));
    }
  }
}
