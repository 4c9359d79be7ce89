import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Names } from '@batch/contracts';
import { lastSequenceOf, watchProjected } from '@batch/messaging';
import { JETSTREAM_MANAGER, NAMES, NATS, NATS_CONNECTED, type NatsConnected } from '@batch/platform';
import { ApiError } from '../http/api-error.js';

/** A read waits this long at most for the read model to hold every event stored before it (as the orchestrator's). */
const READ_YOUR_WRITES_MS = 2_000;

/** What a read of the read model got, and the stream sequence the read model held everything up to then. */
export interface FreshRead {
  appliedSeq: number;
}

interface Listener {
  seq: number;
  heard: boolean;
  wake?: () => void;
}

/**
 * Read-your-writes for reads of the read model in the gateway: a read must hold every event the
 * events stream had when the request arrived (a client's own create or pause among them). The
 * statement reads the projection's checkpoint in its own snapshot; while that is behind, the read is
 * run again each time the projector announces it got further (core NATS), for 2 s at most, and then
 * once more, answering what the read model has, as the orchestrator's queries do.
 */
@Injectable()
export class ReadYourWrites implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly lastSeq: () => Promise<number>;
  private readonly listeners = new Set<Listener>();
  private announcements?: Subscription;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NATS_CONNECTED) private readonly natsConnected: NatsConnected,
    @Inject(NAMES) private readonly names: Names,
    @Inject(JETSTREAM_MANAGER) jsm: JetStreamManager,
  ) {
    this.lastSeq = lastSequenceOf(jsm, names.eventsStream);
  }

  onApplicationBootstrap(): void {
    this.announcements = watchProjected(this.nc, this.names, (seq) => this.heard(seq));
  }

  onApplicationShutdown(): void {
    this.announcements?.unsubscribe();
  }

  async read<R extends FreshRead>(read: () => Promise<R>): Promise<R> {
    // Without NATS the stream's position is unknown, so the read could miss the caller's own write.
    if (!this.natsConnected()) throw new ApiError('unavailable', 'NATS is unreachable, try again shortly');
    const seq = await this.lastSeq();
    const deadline = performance.now() + READ_YOUR_WRITES_MS;
    for (;;) {
      // Listening before the read: an announcement made while it runs is not missed.
      const listener: Listener = { seq, heard: false };
      this.listeners.add(listener);
      try {
        const result = await read();
        if (result.appliedSeq >= seq) return result;
        if (!(await this.heardBy(listener, deadline))) return read();
      } finally {
        this.listeners.delete(listener);
      }
    }
  }

  private heard(seq: number): void {
    for (const listener of this.listeners)
      if (listener.seq <= seq) {
        listener.heard = true;
        listener.wake?.();
      }
  }

  /** True once the projector has announced the listener's sequence; false at the deadline. */
  private heardBy(listener: Listener, deadline: number): Promise<boolean> {
    if (listener.heard) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), deadline - performance.now());
      listener.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}
