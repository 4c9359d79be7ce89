import type { EventStream } from './batch-events.js';

/**
 * Subject and stream names. A namespace (empty in production) prefixes every name, so that test runs
 * and tenants sharing one NATS server never see each other's streams.
 */
export interface Names {
  readonly eventsStream: string;
  readonly workStream: string;
  readonly snapshotBucket: string;
  /** Which orchestrator replica dispatches which batch. */
  readonly leaseBucket: string;
  /** Every event of every batch: the projections' filter. */
  readonly allEvents: string;
  /** Every event of one batch, in order: the replay filter (one filter works on NATS 2.9). */
  batchEvents(batchId: string): string;
  eventSubject(batchId: string, stream: EventStream): string;
  readonly allWork: string;
  work(batchId: string): string;
  /** Core NATS, not stored: the orchestrator's word that a batch has new work, so idle workers pull at once. */
  workReady(batchId: string): string;
  readonly allWorkReady: string;
  command(name: string): string;
  query(name: string): string;
}

export function names(namespace = ''): Names {
  if (namespace && !/^[A-Za-z0-9_-]+$/.test(namespace)) throw new RangeError(`bad namespace ${namespace}`);
  const subject = namespace ? `${namespace}.` : '';
  const stream = namespace ? `${namespace}_` : '';
  return {
    eventsStream: `${stream}BATCH_EVENTS`,
    workStream: `${stream}BATCH_WORK`,
    snapshotBucket: `${stream}BATCH_SNAPSHOTS`,
    leaseBucket: `${stream}BATCH_DISPATCH_LEASES`,
    allEvents: `${subject}batch.events.>`,
    batchEvents: (batchId) => `${subject}batch.events.${batchId}.>`,
    eventSubject: (batchId, kind) => `${subject}batch.events.${batchId}.${kind}`,
    allWork: `${subject}batch.work.>`,
    work: (batchId) => `${subject}batch.work.${batchId}`,
    workReady: (batchId) => `${subject}batch.ready.${batchId}`,
    allWorkReady: `${subject}batch.ready.*`,
    command: (name) => `${subject}batch.cmd.${name}`,
    query: (name) => `${subject}batch.query.${name}`,
  };
}
