import { Inject, Injectable } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import { Gauge, type Registry } from 'prom-client';
import type { Names } from '@batch/contracts';
import { JETSTREAM_MANAGER, METRICS, NAMES } from '@batch/platform';
import { DispatcherService } from '../dispatch/dispatcher.service.js';
import { ProjectorService } from '../projections/projector.service.js';

/**
 * The orchestrator's gauges, read at each scrape: the work queue's lag (messages waiting for a
 * worker, and held by workers without an acknowledgement yet), the dispatch window in use, and
 * how far the read models trail the event log.
 */
@Injectable()
export class OrchestratorMetrics {
  constructor(
    @Inject(METRICS) registry: Registry,
    @Inject(JETSTREAM_MANAGER) jsm: JetStreamManager,
    @Inject(NAMES) names: Names,
    dispatcher: DispatcherService,
    projections: ProjectorService,
  ) {
    new Gauge({
      name: 'work_ack_pending_messages',
      help: 'Work messages held by workers and not acknowledged yet (in progress)',
      registers: [registry],
      async collect() {
        let waiting = 0;
        let held = 0;
        for await (const consumer of jsm.consumers.list(names.workStream)) {
          waiting += consumer.num_pending;
          held += consumer.num_ack_pending;
        }
        this.set(held);
        pending.set(waiting);
      },
    });
    // Registered after the gauge above, whose collect sets it: a scrape reads both from one listing.
    const pending = new Gauge({
      name: 'work_pending_messages',
      help: 'Work messages waiting for a worker, over every batch consumer of BATCH_WORK',
      registers: [registry],
    });
    new Gauge({
      name: 'dispatch_in_flight_items',
      help: 'Items handed to workers and not yet settled, over the batches this replica dispatches',
      registers: [registry],
      collect() {
        this.set(dispatcher.inFlightItems());
      },
    });
    new Gauge({
      name: 'projection_lag_commits',
      help: 'Commits of the event log not yet applied to the read models (stream sequence minus applied)',
      registers: [registry],
      async collect() {
        this.set(await projections.lag());
      },
    });
  }
}
