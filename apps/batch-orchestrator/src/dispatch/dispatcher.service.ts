import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { errors, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Context } from '@opentelemetry/api';
import type { DataSource } from 'typeorm';
import {
  exists,
  isDomainError,
  itemState,
  planDispatch,
  spentBudget,
  type Batch,
  type BatchState,
  type WorkItem,
} from '@batch/batch-domain';
import {
  BUDGET_EXHAUSTED,
  chunkByBytes,
  jsonBytes,
  type BatchEvent,
  type ItemSpec,
  type Names,
} from '@batch/contracts';
import { decodeCommit, isConcurrencyError, type EventStore } from '@batch/event-store';
import {
  ensureBatchWorkConsumer,
  kvLease,
  publishFact,
  type KvLease,
  removeBatchWorkConsumer,
  traceHeaders,
  workHeaders,
  type WorkItemSpec,
  type WorkMessage,
  type WorkSettings,
} from '@batch/messaging';
import { runningBatchIds } from '@batch/persistence';
import {
  commandMetadata,
  DATA_SOURCE,
  JETSTREAM,
  JETSTREAM_MANAGER,
  LOGGER,
  NAMES,
  NATS,
  SETTINGS,
  type Logger,
} from '@batch/platform';
import type { OrchestratorConfig } from '../config/orchestrator.config.js';
import {
  AGGREGATES,
  EVENT_STORE,
  LEASES,
  WORK_SETTINGS,
  type BatchAggregates,
} from '../infrastructure/stores.js';
import { ProjectorService } from '../projections/projector.service.js';
import { ItemCatalog } from './item-catalog.js';
import { queuedWork } from './work-in-flight.js';
import { estimateCallMs, itemsPerMessage } from './work-message-size.js';

interface Dispatch {
  batchId: string;
  /** Items handed to workers and not yet settled, with the attempt they were sent in. */
  inFlight: Map<string, number>;
  cursor: number;
  /** Whether `inFlight` was read from the queue (the truth after a crash or a failed send). */
  adopted: boolean;
  /** The batch's last lifecycle decision when its queue was adopted. */
  adoptedAt?: number;
  /** When the batch's work consumer was last made sure of. */
  consumerEnsuredAt: number;
  /** The trace of the last command that woke the batch: its work messages carry it to the workers. */
  trace?: Context;
  /** What the batch's items ask for, read as dispatch reaches them. */
  catalog?: ItemCatalog;
  /** How long the batch's provider calls take, estimated from its outcomes: it sizes the work messages. */
  callMs?: number;
  /** When the batch's outcomes were last read for call durations. */
  callsSampledAt: number;
  scheduled?: NodeJS.Timeout;
  passing: boolean;
  again: boolean;
  /** A lifecycle decision (a retry of an ended batch, a resume) came during the pass. */
  lifecycleAgain?: boolean;
  /** The pass ended the batch's dispatch for good and forgot its state. */
  forgotten?: boolean;
  /** Sends JetStream refused in a row, and when the next pass may try again. */
  refusals: number;
  failures: number;
  retryAt: number;
}

/**
 * NATS unreachable (waited out however long it takes), unlike JetStream refusing a send (the same
 * send fails again: it counts towards pausing the batch).
 */
const isUnreachable = (error: unknown): boolean =>
  error instanceof errors.TimeoutError ||
  error instanceof errors.NoRespondersError ||
  error instanceof errors.ClosedConnectionError ||
  error instanceof errors.ConnectionError ||
  error instanceof errors.DrainingConnectionError ||
  error instanceof errors.RequestError;

/** A lifecycle commit of a dispatch's own ending of its batch (CompleteBatch). */
const endsTheBatch = (data: Uint8Array): boolean =>
  decodeCommit<BatchEvent>(data).every(
    (event) => event.type === 'BatchCompleted' || event.type === 'BatchFailed',
  );

class WorkRefusedError extends Error {
  constructor(batchId: string, cause: unknown) {
    super(`work of batch ${batchId} was refused: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'WorkRefusedError';
  }
}

/**
 * Outcomes arriving close together are handled in one pass (each pass reads the batch's new events),
 * and the window is topped up once a quarter of it has drained, not item by item.
 */
const COALESCE_MS = 50;
const encoder = new TextEncoder();
/** Room in a work message for its headers and JSON punctuation beyond its fields. */
const HEADROOM_BYTES = 4 * 1024;
/** A batch whose work JetStream refuses this many times in a row is paused with the reason. */
const MAX_WORK_REFUSALS = 5;
/** Retries after a failed pass wait 1, 2, 4 ... times the base, at most this long. */
const MAX_RETRY_DELAY_MS = 30_000;
/** A batch's work consumer is made sure of again this often (an idle one is removed after an hour). */
const ENSURE_CONSUMER_EVERY_MS = 5 * 60_000;
/** A batch's outcomes are read for its call durations at most this often. */
const SAMPLE_CALLS_EVERY_MS = 250;
/** The second recovery pass at start-up waits this long at most for the projection. */
const RECOVERY_CATCH_UP_MS = 120_000;
/** Every replica looks for running batches that nobody dispatches this often. */
const RECOVERY_EVERY_MS = 30_000;

/**
 * Keeps a bounded window of each running batch's pending items with the workers, topping it up as
 * outcomes arrive; completes a batch when nothing is left. Woken by the batches' own events.
 */
@Injectable()
export class DispatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly dispatches = new Map<string, Dispatch>();
  private readonly lease: KvLease;
  private subscription?: Subscription;
  private sweep?: NodeJS.Timeout;
  private recovery?: NodeJS.Timeout;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(JETSTREAM) private readonly js: JetStreamClient,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    @Inject(NAMES) private readonly names: Names,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SETTINGS) private readonly config: OrchestratorConfig,
    @Inject(EVENT_STORE) private readonly events: EventStore<BatchEvent>,
    @Inject(AGGREGATES) private readonly aggregates: BatchAggregates,
    @Inject(LEASES) private readonly leases: KV,
    @Inject(WORK_SETTINGS) private readonly work: WorkSettings,
    private readonly projections: ProjectorService,
  ) {
    this.lease = kvLease(this.leases, this.config.ORCHESTRATOR_REPLICA_ID);
  }

  /** Items handed to workers and not yet settled, over the batches this replica dispatches. */
  inFlightItems(): number {
    let items = 0;
    for (const dispatch of this.dispatches.values()) items += dispatch.inFlight.size;
    return items;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { nc, names, config } = this;
    this.subscription = nc.subscribe(names.allEvents, {
      callback: (error, message) => {
        const event = names.eventOf(message.subject);
        if (error || !event) return;
        const { batchId, stream } = event;
        // The dispatch that ended the batch forgot it: a wake would replay its whole log (no
        // snapshot left, 2,000,000 events for a 1,000,000-item batch) only to find it ended.
        if (stream === 'lifecycle' && endsTheBatch(message.data)) return;
        const dispatch = this.dispatches.get(batchId);
        if (dispatch && stream === 'items') this.sampleCalls(dispatch, message.data);
        if (dispatch?.passing && stream === 'lifecycle') dispatch.lifecycleAgain = true;
        if (stream === 'lifecycle' || dispatch) this.wake(batchId);
      },
    });
    // Also renews the leases of batches whose workers are slow to report.
    this.sweep = setInterval(
      () => this.dispatches.forEach((dispatch) => this.wake(dispatch.batchId)),
      config.DISPATCH_LEASE_MS / 3,
    );
    // A running batch nobody dispatches (its replica gone, a wake lost) is taken up within this long.
    this.recovery = setInterval(
      () =>
        void this.recover().catch((error: unknown) =>
          this.logger.warn({ err: error }, 'periodic recovery failed'),
        ),
      RECOVERY_EVERY_MS,
    );
    const { recovered_count } = await this.recover();
    this.logger.info(
      { recovered: recovered_count, replica: this.config.ORCHESTRATOR_REPLICA_ID },
      'dispatcher started',
    );
    // Batches started just before a crash may not be in the read model yet: look again once it has caught up.
    void this.projections
      .caughtUpWithLog(RECOVERY_CATCH_UP_MS)
      .then(() => this.recover())
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, 'recovery after the projection caught up failed'),
      );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    clearInterval(this.recovery);
    this.subscription?.unsubscribe();
    for (const dispatch of this.dispatches.values()) clearTimeout(dispatch.scheduled);
    await Promise.all([...this.dispatches.keys()].map((batchId) => this.lease.release(batchId)));
    this.dispatches.clear();
  }

  /**
   * Reads the call durations of an outcome commit, a few times a second per batch at most (the
   * estimate needs no more, and most commits go unread).
   */
  private sampleCalls(dispatch: Dispatch, data: Uint8Array): void {
    const now = Date.now();
    if (now - dispatch.callsSampledAt < SAMPLE_CALLS_EVERY_MS) return;
    dispatch.callsSampledAt = now;
    const calls: number[] = [];
    for (const event of decodeCommit<BatchEvent>(data))
      if (event.type === 'ItemCompleted' && event.data.latencyMs !== undefined)
        calls.push(event.data.latencyMs);
    dispatch.callMs = estimateCallMs(dispatch.callMs, calls);
  }

  /** Looks at a batch again soon: dispatch more, stop, or complete it. */
  wake(batchId: string, trace?: Context): void {
    let dispatch = this.dispatches.get(batchId);
    if (!dispatch) {
      dispatch = {
        batchId,
        inFlight: new Map(),
        cursor: 0,
        adopted: false,
        consumerEnsuredAt: 0,
        callsSampledAt: 0,
        passing: false,
        again: false,
        refusals: 0,
        failures: 0,
        retryAt: 0,
      };
      this.dispatches.set(batchId, dispatch);
    }
    if (trace) dispatch.trace = trace;
    if (dispatch.passing) dispatch.again = true;
    else
      dispatch.scheduled ??= setTimeout(
        () => void this.pass(dispatch),
        Math.max(COALESCE_MS, dispatch.retryAt - Date.now()),
      );
  }

  /**
   * Dispatches every running batch again (after a crash or restart): answers how many. At start-up it
   * also looks at every batch with work still queued: a replica that stopped between cancelling a
   * batch and purging its work left it there, and the pass purges it now.
   */
  async recover(userId?: string): Promise<{ recovered_count: number; failed_count: number }> {
    const { ds, jsm, names } = this;
    const running = await runningBatchIds(ds, userId);
    running.forEach((batchId) => this.wake(batchId));
    if (userId === undefined) {
      const { state } = await jsm.streams.info(names.workStream, { subjects_filter: names.allWork });
      const prefix = names.work('');
      for (const subject of Object.keys(state.subjects ?? {})) this.wake(subject.slice(prefix.length));
    }
    return { recovered_count: running.length, failed_count: 0 };
  }

  private async pass(dispatch: Dispatch): Promise<void> {
    dispatch.scheduled = undefined;
    dispatch.passing = true;
    try {
      await this.dispatchMore(dispatch);
      dispatch.refusals = 0;
      dispatch.failures = 0;
      dispatch.retryAt = 0;
    } catch (error) {
      await this.failed(dispatch, error);
    } finally {
      dispatch.passing = false;
      // Woken during the pass: look again, also when the pass stopped the dispatch (a resume that
      // came while the pass was halting the batch at its pause must not wait for the recovery). Not
      // for outcomes that came while the pass ended and forgot the batch: that look would replay
      // its whole log only to find it ended.
      const lookAgain = dispatch.again && (!dispatch.forgotten || dispatch.lifecycleAgain);
      dispatch.again = false;
      dispatch.lifecycleAgain = false;
      if (lookAgain) this.wake(dispatch.batchId);
    }
  }

  /**
   * A pass that failed is tried again with backoff. Work JetStream keeps refusing (the same send
   * fails the same way) pauses the batch after MAX_WORK_REFUSALS tries, with the reason for its
   * user to see; an unreachable server is waited out however long it takes.
   */
  private async failed(dispatch: Dispatch, error: unknown): Promise<void> {
    const { logger, config } = this;
    const { batchId } = dispatch;
    dispatch.failures++;
    if (error instanceof WorkRefusedError) dispatch.refusals++;
    const delayMs = Math.min(
      MAX_RETRY_DELAY_MS,
      config.DISPATCH_RETRY_BASE_MS * 2 ** (dispatch.failures - 1),
    );
    dispatch.retryAt = Date.now() + delayMs;
    if (dispatch.refusals < MAX_WORK_REFUSALS) {
      logger.warn(
        { err: error, batchId, failures: dispatch.failures, retryInMs: delayMs },
        'dispatch failed',
      );
      setTimeout(() => this.wake(batchId), delayMs).unref();
      return;
    }
    const reason = `dispatch failed ${dispatch.refusals} times: ${(error as Error).message}`.slice(0, 500);
    logger.error({ err: error, batchId }, 'dispatch keeps failing; pausing the batch');
    try {
      await this.aggregates.handle(batchId, {
        type: 'PauseBatch',
        data: { reason },
        metadata: commandMetadata(),
      });
    } catch (pauseError) {
      if (!isDomainError(pauseError) && !isConcurrencyError(pauseError)) {
        logger.warn({ err: pauseError, batchId }, 'could not pause the batch; retrying');
        setTimeout(() => this.wake(batchId), delayMs).unref();
        return;
      }
    }
    dispatch.refusals = 0;
  }

  private async stop(dispatch: Dispatch): Promise<void> {
    this.dispatches.delete(dispatch.batchId);
    await this.lease.release(dispatch.batchId);
  }

  private async dispatchMore(dispatch: Dispatch): Promise<void> {
    const { aggregates, jsm, names } = this;
    const { batchId } = dispatch;
    if (!(await this.lease.hold(batchId))) return void this.dispatches.delete(batchId);
    // The queue is read before the state: an item settled in between is seen settled, never sent twice.
    const queued = dispatch.adopted ? [] : await queuedWork(jsm, names, batchId);
    const { state, version } = await aggregates.load(batchId);
    if (!exists(state) || state.status !== 'running') return this.halt(dispatch, state);
    if (dispatch.adopted && version.lifecycleSeq !== dispatch.adoptedAt) {
      // A decision since the queue was adopted (paused and resumed with new settings between two
      // passes, say): adopt it again, purging work in old settings, reading it before the state.
      dispatch.adopted = false;
      dispatch.again = true;
      return;
    }
    if (!dispatch.adopted) await this.adopt(dispatch, state, version.lifecycleSeq, queued);

    for (const [itemId, attempt] of dispatch.inFlight) {
      const item = itemState(state, itemId);
      if (!item || item.status !== 'pending' || item.attempt !== attempt) dispatch.inFlight.delete(itemId);
    }
    if (state.items.pending === 0) return this.complete(dispatch);
    // Calls in flight finish and are stored; nothing more is sent (the pause wakes this batch again).
    if (spentBudget(state)) return this.pauseAtBudget(dispatch, state);

    const window = this.config.DISPATCH_WINDOW;
    const free = window - dispatch.inFlight.size;
    if (free < window / 4 && free < state.items.pending) return;
    const plan = planDispatch(state, { inFlight: dispatch.inFlight, limit: free, cursor: dispatch.cursor });
    if (plan.items.length === 0) return;
    dispatch.catalog ??= new ItemCatalog(this.events, batchId);
    const specs = await dispatch.catalog.specsAt(
      plan.items.map((item) => item.index),
      state.items.ids,
    );
    await this.ensureConsumer(dispatch);
    this.logger.debug({ batchId, from: plan.items[0]?.id, items: plan.items.length }, 'dispatching');
    await this.publish(state, version.lifecycleSeq, dispatch, plan.items, specs);
    dispatch.cursor = plan.cursor;
  }

  private async ensureConsumer(dispatch: Dispatch): Promise<void> {
    if (Date.now() - dispatch.consumerEnsuredAt < ENSURE_CONSUMER_EVERY_MS) return;
    const { jsm, names, work } = this;
    await ensureBatchWorkConsumer(jsm, names, dispatch.batchId, work);
    dispatch.consumerEnsuredAt = Date.now();
  }

  /**
   * Sends items in work messages sized to the batch's call durations (at most ITEMS_PER_WORK_MESSAGE
   * items, see work-message-size.ts) and of a size NATS carries beside the config, then tells idle
   * workers. An item counts as in flight once its message is
   * stored. When any send fails, what is in flight is read from the queue again on the next pass
   * (a send that timed out may have been stored): an item is never sent twice.
   */
  private async publish(
    state: Batch,
    lifecycleSeq: number,
    dispatch: Dispatch,
    items: WorkItem[],
    specs: ItemSpec[],
  ): Promise<void> {
    const { js, nc, names, config } = this;
    const envelope = { batchId: state.batchId, userId: state.userId, config: state.config, lifecycleSeq };
    const budget =
      (nc.info?.max_payload ?? 1024 * 1024) - jsonBytes({ ...envelope, items: [] }) - HEADROOM_BYTES;
    const workItems: WorkItemSpec[] = items.map((item, position) => ({
      ...specs[position]!,
      index: item.index,
      attempt: item.attempt,
    }));
    const perMessage = itemsPerMessage(dispatch.callMs, {
      max: config.ITEMS_PER_WORK_MESSAGE,
      targetMs: config.WORK_MESSAGE_TARGET_MS,
    });
    const messages = chunkByBytes(workItems, jsonBytes, budget).flatMap((chunk) =>
      Array.from({ length: Math.ceil(chunk.length / perMessage) }, (_, index) =>
        chunk.slice(index * perMessage, (index + 1) * perMessage),
      ),
    );
    const trace = traceHeaders(undefined, dispatch.trace);
    const sent = await Promise.allSettled(
      messages.map(async (messageItems) => {
        const message: WorkMessage = { ...envelope, items: messageItems };
        // A fresh id per message: a purged message's id must not make JetStream drop its replacement.
        await js.publish(names.work(state.batchId), encoder.encode(JSON.stringify(message)), {
          msgID: randomUUID(),
          headers: workHeaders(messageItems.length, trace),
        });
        messageItems.forEach((item) => dispatch.inFlight.set(item.id, item.attempt));
      }),
    );
    if (sent.some((result) => result.status === 'fulfilled')) nc.publish(names.workReady(state.batchId));
    const failure = sent.find((result) => result.status === 'rejected');
    if (!failure) return;
    dispatch.adopted = false;
    dispatch.inFlight.clear();
    throw isUnreachable(failure.reason)
      ? failure.reason
      : new WorkRefusedError(state.batchId, failure.reason);
  }

  /**
   * Takes over a batch's queued work. Work queued under another config (paused, then resumed with
   * overrides, before the queue was purged) is purged and sent again in the batch's current config.
   */
  private async adopt(
    dispatch: Dispatch,
    state: Batch,
    lifecycleSeq: number,
    queued: WorkMessage[],
  ): Promise<void> {
    const { jsm, names, logger } = this;
    dispatch.inFlight.clear();
    const current = JSON.stringify(state.config);
    if (queued.some((work) => JSON.stringify(work.config) !== current)) {
      await jsm.streams.purge(names.workStream, { filter: names.work(dispatch.batchId) });
      queued = [];
    }
    for (const work of queued) for (const item of work.items) dispatch.inFlight.set(item.id, item.attempt);
    dispatch.adopted = true;
    dispatch.adoptedAt = lifecycleSeq;
    logger.info({ batchId: dispatch.batchId, inFlight: dispatch.inFlight.size }, 'dispatching batch');
  }

  /**
   * A batch that is not running. A paused batch's queued work stays where it is: workers hold it
   * back without generating (they read its decisions from the log) and go on with it on resume, so nothing
   * in progress at the pause is ever sent again. A cancelled batch's work leaves the queue; ended
   * batches lose their snapshot and their work consumer.
   */
  private async halt(dispatch: Dispatch, state: BatchState): Promise<void> {
    const { jsm, names } = this;
    if (state.status === 'cancelled')
      await jsm.streams.purge(names.workStream, { filter: names.work(dispatch.batchId) });
    if (
      state.status === 'completed' ||
      state.status === 'failed' ||
      state.status === 'cancelled' ||
      state.status === 'discarded'
    )
      await this.forget(dispatch);
    await this.stop(dispatch);
  }

  private async forget(dispatch: Dispatch): Promise<void> {
    const { jsm, names, aggregates } = this;
    dispatch.forgotten = true;
    await aggregates.forget(dispatch.batchId);
    await removeBatchWorkConsumer(jsm, names, dispatch.batchId);
  }

  /** The batch's estimated spend reached its maxCostUsd: it pauses (budget_exhausted) until resumed with more. */
  private async pauseAtBudget(dispatch: Dispatch, state: Batch): Promise<void> {
    const { aggregates, logger, js, names } = this;
    const { batchId } = dispatch;
    let reason: string;
    try {
      const [paused] = (
        await aggregates.handle(batchId, {
          type: 'EnforceBudget',
          data: {},
          metadata: commandMetadata(),
        })
      ).events;
      reason = paused?.type === 'BatchPaused' ? paused.data.reason : BUDGET_EXHAUSTED;
      logger.info({ batchId, reason }, 'batch paused at its budget');
    } catch (error) {
      // Paused or ended meanwhile, or within budget after all: the next pass looks again.
      if (!isDomainError(error) && !isConcurrencyError(error)) throw error;
      dispatch.again = true;
      return;
    }
    // Its user hears at once that the batch waits for them (as for a refused key).
    try {
      await publishFact(js, names, {
        type: 'action_required',
        batchId,
        userId: state.userId,
        at: new Date().toISOString(),
        reason: BUDGET_EXHAUSTED,
        error: {
          code: 'ERR_GEN_BUDGET_EXHAUSTED',
          category: 'action_required',
          message: reason,
          retryable: false,
        },
      });
    } catch (error) {
      logger.warn({ err: error, batchId }, 'publishing the budget fact failed');
    }
  }

  private async complete(dispatch: Dispatch): Promise<void> {
    const { aggregates, logger } = this;
    try {
      const handled = await aggregates.handle(dispatch.batchId, {
        type: 'CompleteBatch',
        data: {},
        metadata: commandMetadata(),
      });
      logger.info({ batchId: dispatch.batchId, outcome: handled.events[0]?.type }, 'batch ended');
    } catch (error) {
      if (!isDomainError(error) && !isConcurrencyError(error)) throw error;
    }
    await this.forget(dispatch);
    await this.stop(dispatch);
  }
}
