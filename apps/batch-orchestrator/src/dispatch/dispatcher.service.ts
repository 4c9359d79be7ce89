import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import {
  exists,
  isDomainError,
  itemState,
  planDispatch,
  type Batch,
  type BatchState,
  type WorkItem,
} from '@batch/batch-domain';
import type { ItemSpec } from '@batch/contracts';
import { isConcurrencyError } from '@batch/event-store';
import type { WorkMessage } from '@batch/messaging';
import { RUNTIME, type OrchestratorRuntime } from '../infrastructure/runtime.js';
import { ProjectorService } from '../projections/projector.service.js';
import { dispatchLease, type DispatchLease } from './dispatch-lease.js';
import { loadItemSpecs } from './item-catalog.js';
import { queuedWork } from './work-in-flight.js';

interface Dispatch {
  batchId: string;
  /** Items handed to workers and not yet settled, with the attempt they were sent in. */
  inFlight: Map<string, number>;
  cursor: number;
  adopted: boolean;
  specs?: ItemSpec[];
  scheduled?: NodeJS.Timeout;
  passing: boolean;
  again: boolean;
}

/**
 * Outcomes arriving close together are handled in one pass (each pass reads the batch's new events),
 * and the window is topped up once a quarter of it has drained, not item by item.
 */
const COALESCE_MS = 50;
const encoder = new TextEncoder();
/** The second recovery pass at start-up waits this long at most for the projection. */
const RECOVERY_CATCH_UP_MS = 120_000;

/**
 * Keeps a bounded window of each running batch's pending items with the workers, topping it up as
 * outcomes arrive; completes a batch when nothing is left. Woken by the batches' own events.
 */
@Injectable()
export class DispatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly dispatches = new Map<string, Dispatch>();
  private readonly lease: DispatchLease;
  private subscription?: Subscription;
  private sweep?: NodeJS.Timeout;

  constructor(
    @Inject(RUNTIME) private readonly runtime: OrchestratorRuntime,
    private readonly projections: ProjectorService,
  ) {
    this.lease = dispatchLease(runtime.leases, runtime.config.ORCHESTRATOR_REPLICA_ID);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { nc, names, config } = this.runtime;
    const prefix = names.allEvents.slice(0, -1);
    this.subscription = nc.subscribe(names.allEvents, {
      callback: (error, message) => {
        if (error) return;
        const [batchId, stream] = message.subject.slice(prefix.length).split('.');
        if (batchId && (stream === 'lifecycle' || this.dispatches.has(batchId))) this.wake(batchId);
      },
    });
    // Also renews the leases of batches whose workers are slow to report.
    this.sweep = setInterval(
      () => this.dispatches.forEach((dispatch) => this.wake(dispatch.batchId)),
      config.DISPATCH_LEASE_MS / 3,
    );
    const { recovered_count } = await this.recover();
    this.runtime.logger.info(
      { recovered: recovered_count, replica: this.runtime.config.ORCHESTRATOR_REPLICA_ID },
      'dispatcher started',
    );
    // Batches started just before a crash may not be in the read model yet: look again once it has caught up.
    void this.projections
      .caughtUpWithLog(RECOVERY_CATCH_UP_MS)
      .then(() => this.recover())
      .catch((error: unknown) =>
        this.runtime.logger.warn({ err: error }, 'recovery after the projection caught up failed'),
      );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    this.subscription?.unsubscribe();
    for (const dispatch of this.dispatches.values()) clearTimeout(dispatch.scheduled);
    await Promise.all([...this.dispatches.keys()].map((batchId) => this.lease.release(batchId)));
    this.dispatches.clear();
  }

  /** Looks at a batch again soon: dispatch more, stop, or complete it. */
  wake(batchId: string): void {
    let dispatch = this.dispatches.get(batchId);
    if (!dispatch) {
      dispatch = { batchId, inFlight: new Map(), cursor: 0, adopted: false, passing: false, again: false };
      this.dispatches.set(batchId, dispatch);
    }
    if (dispatch.passing) dispatch.again = true;
    else dispatch.scheduled ??= setTimeout(() => void this.pass(dispatch), COALESCE_MS);
  }

  /** Dispatches every running batch again (after a crash or restart): answers how many. */
  async recover(userId?: string): Promise<{ recovered_count: number; failed_count: number }> {
    const { ds, config } = this.runtime;
    const rows: { batch_id: string }[] = await ds.query(
      `SELECT batch_id FROM "${config.DATABASE_SCHEMA}".batches WHERE status = 'running' AND ($1::text IS NULL OR user_id = $1)`,
      [userId ?? null],
    );
    rows.forEach((row) => this.wake(row.batch_id));
    return { recovered_count: rows.length, failed_count: 0 };
  }

  private async pass(dispatch: Dispatch): Promise<void> {
    dispatch.scheduled = undefined;
    dispatch.passing = true;
    try {
      await this.dispatchMore(dispatch);
    } catch (error) {
      this.runtime.logger.error(
        { err: error, batchId: dispatch.batchId },
        'dispatch failed; retrying on the next wake',
      );
    } finally {
      dispatch.passing = false;
      if (dispatch.again && this.dispatches.get(dispatch.batchId) === dispatch) {
        dispatch.again = false;
        this.wake(dispatch.batchId);
      }
    }
  }

  private async stop(dispatch: Dispatch): Promise<void> {
    this.dispatches.delete(dispatch.batchId);
    await this.lease.release(dispatch.batchId);
  }

  private async dispatchMore(dispatch: Dispatch): Promise<void> {
    const { aggregates, jsm, names } = this.runtime;
    const { batchId } = dispatch;
    if (!(await this.lease.hold(batchId))) return void this.dispatches.delete(batchId);
    // The queue is read before the state: an item settled in between is seen settled, never sent twice.
    const queued = dispatch.adopted ? [] : await queuedWork(jsm, names, batchId);
    const { state } = await aggregates.load(batchId);
    if (!exists(state) || state.status !== 'running') return this.halt(dispatch, state);
    if (!dispatch.adopted) await this.adopt(dispatch, state, queued);

    for (const [itemId, attempt] of dispatch.inFlight) {
      const item = itemState(state, itemId);
      if (!item || item.status !== 'pending' || item.attempt !== attempt) dispatch.inFlight.delete(itemId);
    }
    if (state.items.pending === 0) return this.complete(dispatch);

    const window = this.runtime.config.DISPATCH_WINDOW;
    const free = window - dispatch.inFlight.size;
    if (free < window / 4 && free < state.items.pending) return;
    const plan = planDispatch(state, { inFlight: dispatch.inFlight, limit: free, cursor: dispatch.cursor });
    if (plan.items.length === 0) return;
    dispatch.specs ??= await loadItemSpecs(this.runtime.events, batchId);
    this.runtime.logger.debug({ batchId, from: plan.items[0]?.id, items: plan.items.length }, 'dispatching');
    await this.publish(state, dispatch, plan.items);
    dispatch.cursor = plan.cursor;
  }

  private async publish(state: Batch, dispatch: Dispatch, items: WorkItem[]): Promise<void> {
    const { js, names, config } = this.runtime;
    const specs = dispatch.specs!;
    const perMessage = config.ITEMS_PER_WORK_MESSAGE;
    const sends: Promise<unknown>[] = [];
    for (let start = 0; start < items.length; start += perMessage) {
      const message: WorkMessage = {
        batchId: state.batchId,
        userId: state.userId,
        config: state.config,
        items: items.slice(start, start + perMessage).map((item) => {
          const spec = specs[item.index]!;
          return { ...spec, index: item.index, attempt: item.attempt };
        }),
      };
      message.items.forEach((item) => dispatch.inFlight.set(item.id, item.attempt));
      // A fresh id per message: a purged message's id must not make JetStream drop its replacement.
      sends.push(
        js.publish(names.work(state.batchId), encoder.encode(JSON.stringify(message)), {
          msgID: randomUUID(),
        }),
      );
    }
    await Promise.all(sends);
  }

  /**
   * Takes over a batch's queued work. Work queued under another config (paused, then resumed with
   * overrides, before the queue was purged) is purged and sent again in the batch's current config.
   */
  private async adopt(dispatch: Dispatch, state: Batch, queued: WorkMessage[]): Promise<void> {
    const { jsm, names, logger } = this.runtime;
    const current = JSON.stringify(state.config);
    if (queued.some((work) => JSON.stringify(work.config) !== current)) {
      await jsm.streams.purge(names.workStream, { filter: names.work(dispatch.batchId) });
      queued = [];
    }
    for (const work of queued) for (const item of work.items) dispatch.inFlight.set(item.id, item.attempt);
    dispatch.adopted = true;
    logger.info({ batchId: dispatch.batchId, inFlight: dispatch.inFlight.size }, 'dispatching batch');
  }

  /** A batch that is not running: paused and cancelled work leaves the queue; ended batches lose their snapshot. */
  private async halt(dispatch: Dispatch, state: BatchState): Promise<void> {
    const { jsm, names, aggregates } = this.runtime;
    if (state.status === 'paused' || state.status === 'cancelled')
      await jsm.streams.purge(names.workStream, { filter: names.work(dispatch.batchId) });
    if (
      state.status === 'completed' ||
      state.status === 'failed' ||
      state.status === 'cancelled' ||
      state.status === 'discarded'
    )
      await aggregates.forget(dispatch.batchId);
    await this.stop(dispatch);
  }

  private async complete(dispatch: Dispatch): Promise<void> {
    const { aggregates, logger } = this.runtime;
    try {
      const handled = await aggregates.handle(dispatch.batchId, {
        type: 'CompleteBatch',
        data: {},
        metadata: { now: new Date().toISOString(), newEventId: () => randomUUID() },
      });
      logger.info({ batchId: dispatch.batchId, outcome: handled.events[0]?.type }, 'batch ended');
    } catch (error) {
      if (!isDomainError(error) && !isConcurrencyError(error)) throw error;
    }
    await aggregates.forget(dispatch.batchId);
    await this.stop(dispatch);
  }
}
