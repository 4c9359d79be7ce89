import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import type { BatchFact, ItemOutcome, Names, ProviderName } from '@batch/contracts';
import type { OutcomeCommitter } from '@batch/event-store';
import { inSpan, publishFact, request, SpanKind, traceContextOf, WorkMessage } from '@batch/messaging';
import type { ConversationSaver } from '@batch/persistence';
import {
  DATA_SOURCE,
  JETSTREAM,
  JETSTREAM_MANAGER,
  LOGGER,
  NAMES,
  NATS,
  NATS_CONNECTED,
  SETTINGS,
  type Logger,
  type NatsConnected,
} from '@batch/platform';
import type { WorkerConfig } from '../config/worker.config.js';
import { batchConcurrency } from '../limits/batch-concurrency.js';
import { CALL_LIMITS, type CallLimits } from '../limits/call-limits.provider.js';
import type { Provider, ProviderError } from '../providers/provider.js';
import { PROVIDERS } from '../providers/providers.js';
import { CONVERSATION_SAVER } from './conversation-saver.provider.js';
import { fairSlots, type FairSlots } from './fair-slots.js';
import { lifecycleVerdicts, type LifecycleVerdicts } from './lifecycle-verdicts.js';
import { mayStart } from './may-start.js';
import { OUTCOME_COMMITTER } from './outcome-committer.provider.js';
import { stillQueued } from './still-queued.js';
import { processWork } from './work-processor.js';
import { workSources, type HeldMessage, type WorkSources } from './work-sources.js';
import { WORKER_METRICS, type WorkerMetrics } from './worker-metrics.js';

function decodeWork(message: JsMsg): WorkMessage | undefined {
  try {
    const parsed = WorkMessage.safeParse(message.json());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whose a fact is, and when. */
/** Whose batch a fact is about, and which provider and model its calls go to (for the error's details). */
const about = ({ batchId, userId, config }: WorkMessage) => ({
  batchId,
  userId,
  at: new Date().toISOString(),
  context: { provider: config.provider, ...(config.model ? { model: config.model } : {}) },
});

/** A batch this worker asked to pause is held back this long at most before the pause shows in its log. */
const PAUSE_REQUEST_HOLD_MS = 10_000;

/** A message held back is looked at again at its batch's next decision, or after this long. */
const HELD_RECHECK_MS = 250;

/** A held message is heartbeated this many times per ack wait: only a worker that is gone misses them all. */
const HEARTBEATS_PER_ACK_WAIT = 5;

/**
 * Pulls work from every running batch in turn and generates its items in fair slots:
 * `WORKER_CONCURRENCY` shared round-robin between users and their batches, plus `WORKER_BURST` for
 * batches with nothing running. On shutdown, items not started are handed back at once.
 */
@Injectable()
export class WorkConsumerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private sources?: WorkSources;
  private slots?: FairSlots;
  private stopping = false;
  /** Stopping: resolves once no pull of this worker is open on the server (see WorkSources.stop). */
  private pullsClosed = Promise.resolve();
  private readonly inProcess = new Set<Promise<void>>();
  /**
   * Batches this worker asked to pause, and when: their items are held back from then on, until
   * the pause is in the log (which holds them from there) or PAUSE_REQUEST_HOLD_MS has passed.
   */
  private readonly pauseRequested = new Map<string, number>();
  private readonly verdicts: LifecycleVerdicts;
  /** Until when a batch's rate-limit wait has been published: one fact per wait, not one per item. */
  private readonly rateLimitToldUntil = new Map<string, number>();
  private readonly perBatch = batchConcurrency();

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(JETSTREAM) private readonly js: JetStreamClient,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    @Inject(NATS_CONNECTED) private readonly natsConnected: NatsConnected,
    @Inject(NAMES) private readonly names: Names,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SETTINGS) private readonly config: WorkerConfig,
    @Inject(CONVERSATION_SAVER) private readonly saver: ConversationSaver,
    @Inject(PROVIDERS) private readonly providers: Record<ProviderName, Provider>,
    @Inject(OUTCOME_COMMITTER) private readonly committer: OutcomeCommitter<ItemOutcome>,
    @Inject(WORKER_METRICS) private readonly metrics: WorkerMetrics,
    @Inject(CALL_LIMITS) private readonly limits: CallLimits,
  ) {
    this.verdicts = lifecycleVerdicts(nc, jsm, names);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { nc, js, jsm, names, logger, config } = this;
    const burst = config.WORKER_BURST ?? config.WORKER_CONCURRENCY;
    this.slots = fairSlots(config.WORKER_CONCURRENCY, burst);
    this.sources = workSources({
      nc,
      js,
      jsm,
      names,
      logger,
      // Twice the slots in items: work waits ready for every slot, and the rest is left to other workers.
      maxHeld: config.WORKER_CONCURRENCY * 2,
      burst: Math.max(1, burst),
    });
    await this.sources.start((held) => {
      const handled = this.handle(held).finally(() => held.done());
      this.inProcess.add(handled);
      void handled.finally(() => this.inProcess.delete(handled));
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.pullsClosed = this.sources?.stop() ?? Promise.resolve();
    await this.pullsClosed;
    await Promise.allSettled([...this.inProcess]);
    await this.committer.flush();
    this.verdicts.close();
  }

  /**
   * Asks the orchestrator to pause a batch whose calls fail its way (key, balance, model): once,
   * however many of its items hit it meanwhile. Already paused by another worker's request is fine.
   */
  private async pauseBatch(work: WorkMessage, pause: string, error: ProviderError): Promise<void> {
    if (this.pauseRequestedFor(work.batchId)) return;
    this.pauseRequested.set(work.batchId, Date.now());
    const reason = `${pause}: ${error.message}`;
    this.logger.warn({ batchId: work.batchId, reason }, 'a provider failure pauses the batch');
    const reply = await request(this.nc, this.names.command('pause'), {
      userId: work.userId,
      batchId: work.batchId,
      reason,
    });
    if (reply.ok)
      await this.tell({
        type: 'action_required',
        ...about(work),
        reason: pause,
        error: { code: error.code, category: error.category, message: error.message, retryable: false },
      });
    else if (reply.error.code !== 'invalid_state')
      this.logger.error({ batchId: work.batchId, error: reply.error }, 'pausing the batch failed');
  }

  /** The provider is rate limiting a batch's calls: its user hears how long they wait, once per wait. */
  private rateLimited(work: WorkMessage, error: ProviderError): void {
    const now = Date.now();
    if ((this.rateLimitToldUntil.get(work.batchId) ?? 0) > now) return;
    const retryAfterSeconds = error.retryAfterSeconds ?? 0;
    this.rateLimitToldUntil.set(work.batchId, now + retryAfterSeconds * 1000);
    void this.tell({
      type: 'rate_limited',
      ...about(work),
      retryAfterSeconds,
      error: { code: error.code, category: error.category, message: error.message, retryable: true },
    });
  }

  private async tell(fact: BatchFact): Promise<void> {
    try {
      await publishFact(this.js, this.names, fact);
    } catch (error) {
      this.logger.warn({ err: error, batchId: fact.batchId, fact: fact.type }, 'publishing a fact failed');
    }
  }

  private pauseRequestedFor(batchId: string): boolean {
    const at = this.pauseRequested.get(batchId);
    if (at !== undefined && Date.now() - at < PAUSE_REQUEST_HOLD_MS) return true;
    this.pauseRequested.delete(batchId);
    return false;
  }

  /** Gives a message back for another delivery; while stopping, once this worker's pulls are closed. */
  private async handBack(message: JsMsg, delayMs?: number): Promise<void> {
    if (this.stopping) await this.pullsClosed;
    message.nak(delayMs);
  }

  /** One work message, in a span continuing the trace of the request that queued it. */
  private handle(held: HeldMessage): Promise<void> {
    const { message } = held;
    return inSpan(
      'generate',
      {
        parent: traceContextOf(message.headers),
        kind: SpanKind.CONSUMER,
        attributes: { subject: message.subject },
      },
      () => this.process(held),
    );
  }

  private async process({ message, ackWaitMs, park }: HeldMessage): Promise<void> {
    const { config, committer, saver, providers, ds, logger, jsm, names, natsConnected, metrics } = this;
    // Claimed from the moment it arrives: a message waiting for a slot must not go to another worker.
    const heartbeat = setInterval(
      () => message.working(),
      Math.max(100, ackWaitMs / HEARTBEATS_PER_ACK_WAIT),
    );
    try {
      const work = decodeWork(message);
      if (!work) {
        logger.error({ subject: message.subject, seq: message.seq }, 'malformed work message dropped');
        // No reason: NATS 2.9 does not know a term with one and delivers the message again.
        return void message.term();
      }
      logger.debug(
        {
          batchId: work.batchId,
          seq: message.seq,
          delivery: message.info.deliveryCount,
          items: work.items.length,
        },
        'work received',
      );
      const queued = stillQueued(jsm, names.workStream, message.seq);
      const verdict = () => this.verdicts.verdict(work.batchId, work.lifecycleSeq);
      // Purged from the queue, or moot since its batch ended: nobody waits for it any more.
      const wanted = async () => (await verdict()) !== 'drop' && (await queued());
      // Stopping or cut off, the items not started go back to the queue for another worker.
      const starts = mayStart({
        stopping: () => this.stopping,
        connected: natsConnected,
        stillWanted: wanted,
        heldBack: async () => {
          if ((await verdict()) !== 'hold') return this.pauseRequestedFor(work.batchId);
          this.pauseRequested.delete(work.batchId);
          return true;
        },
        parked: park,
        untilLookAgain: () => this.verdicts.nextDecision(work.batchId, HELD_RECHECK_MS),
      });
      try {
        const { outcomes, withdrawn } = await processWork(work, {
          ds,
          saver,
          providers,
          logger,
          run: (task) =>
            this.perBatch(work.batchId, work.config.rateLimit?.concurrency, () =>
              this.slots!.run(work, task),
            ),
          retry: { max: config.PROVIDER_MAX_RETRIES, baseDelayMs: config.RETRY_BASE_DELAY_MS },
          metrics,
          providerCallLog: config.PROVIDER_CALL_LOG,
          prices: config.MODEL_PRICES_FILE,
          pauseBatch: (pause, error) => this.pauseBatch(work, pause, error),
          limit: (item) => this.limits(work, item, starts.canStartNow),
          rateLimited: (error) => this.rateLimited(work, error),
          report: (outcome) => committer.commit(outcome),
          ...starts,
        });
        const failed = outcomes.filter((outcome) => outcome.type === 'ItemFailed').length;
        metrics.settled('completed', outcomes.length - failed);
        metrics.settled('failed', failed);
        metrics.spent(work.config.provider, outcomes);
        // What was left alone goes back at once for another worker, unless nobody wants it any more.
        if (withdrawn > 0 && (await wanted())) await this.handBack(message);
        else message.ack();
      } catch (error) {
        // Storage or NATS trouble, not the provider's: the whole message comes back later.
        logger.error({ err: error, batchId: work.batchId }, 'work failed; it will be redelivered');
        await this.handBack(message, 1000 * 2 ** (message.info.deliveryCount - 1));
      }
    } catch (error) {
      logger.error(
        { err: error, subject: message.subject },
        'work message not handled; it will be redelivered',
      );
    } finally {
      clearInterval(heartbeat);
    }
  }
}
