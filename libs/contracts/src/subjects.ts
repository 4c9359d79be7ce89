import type { EventStream } from './batch-events.js';

/**
 * Subject and stream names. A namespace (empty in production) prefixes every name, so that test runs
 * and tenants sharing one NATS server never see each other's streams.
 */
export interface Names {
  readonly eventsStream: string;
  readonly workStream: string;
  readonly snapshotBucket: string;
  /** Facts of batches their users should hear of at once (BatchFact), kept a day. */
  readonly factsStream: string;
  readonly allFacts: string;
  facts(batchId: string): string;
  /** Which orchestrator replica dispatches which batch. */
  readonly leaseBucket: string;
  /** The providers' rate-limit budgets, one entry per route, shared by every worker. */
  readonly rateLimitBucket: string;
  /** Every event of every batch: the projections' filter. */
  readonly allEvents: string;
  /** Every event of one batch, in order: the replay filter (one filter works on NATS 2.9). */
  batchEvents(batchId: string): string;
  eventSubject(batchId: string, stream: EventStream): string;
  /** The batch and stream an event subject is of; undefined for any other subject. */
  eventOf(subject: string): { batchId: string; stream: EventStream } | undefined;
  readonly allWork: string;
  work(batchId: string): string;
  /** Core NATS, not stored: the orchestrator's word that a batch has new work, so idle workers pull at once. */
  workReady(batchId: string): string;
  readonly allWorkReady: string;
  /**
   * Core NATS, not stored: the stream sequence the read models (batches, batch_items) hold every
   * event up to, told after each projection transaction, so a read waiting for its user's write
   * elsewhere (the gateway) answers at once.
   */
  readonly projected: string;
  command(name: string): string;
  query(name: string): string;
  /** backup-service's request/reply subjects. */
  backupCommand(name: string): string;
  backupQuery(name: string): string;
  /** Progress and ends of backups, restores and bulk deletes (BackupFact), kept a day. */
  readonly backupFactsStream: string;
  readonly allBackupFacts: string;
  backupFacts(kind: string, id: string): string;
  /** The bulk-delete operations' event log (the pre-delete backup saga) and their snapshots. */
  readonly operationsStream: string;
  readonly allOperationEvents: string;
  operationEvents(operationId: string): string;
  operationEventSubject(operationId: string, channel: string): string;
  readonly operationSnapshotBucket: string;
  /** Single-use download tickets (a browser opening a download link has no bearer header). */
  readonly downloadTicketBucket: string;
  /** What each user is notified of (WebSocket, webhooks), a subject per user (`userKey`), retained by age and size. */
  readonly notificationsStream: string;
  readonly allNotifications: string;
  notifications(userKey: string): string;
  /** Which gateway replica turns facts into notifications (one at a time, so de-dup and order hold). */
  readonly notifierLeaseBucket: string;
  /** The last status the notifier told of each batch (a restarted notifier tells only changes). */
  readonly notifierStateBucket: string;
  /** Webhook deliveries waiting or being retried, one subject per endpoint. */
  readonly webhookDeliveriesStream: string;
  readonly allWebhookDeliveries: string;
  webhookDeliveries(endpointId: string): string;
}

export function names(namespace = ''): Names {
  if (namespace && !/^[A-Za-z0-9_-]+$/.test(namespace)) throw new RangeError(`bad namespace ${namespace}`);
  const subject = namespace ? `${namespace}.` : '';
  const stream = namespace ? `${namespace}_` : '';
  return {
    eventsStream: `${stream}BATCH_EVENTS`,
    workStream: `${stream}BATCH_WORK`,
    snapshotBucket: `${stream}BATCH_SNAPSHOTS`,
    factsStream: `${stream}BATCH_FACTS`,
    allFacts: `${subject}batch.facts.>`,
    facts: (batchId) => `${subject}batch.facts.${batchId}`,
    leaseBucket: `${stream}BATCH_DISPATCH_LEASES`,
    rateLimitBucket: `${stream}PROVIDER_RATE_BUDGETS`,
    allEvents: `${subject}batch.events.>`,
    batchEvents: (batchId) => `${subject}batch.events.${batchId}.>`,
    eventSubject: (batchId, kind) => `${subject}batch.events.${batchId}.${kind}`,
    eventOf: (eventSubject) => {
      const prefix = `${subject}batch.events.`;
      if (!eventSubject.startsWith(prefix)) return undefined;
      const [batchId, stream, ...more] = eventSubject.slice(prefix.length).split('.');
      if (!batchId || (stream !== 'lifecycle' && stream !== 'items') || more.length > 0) return undefined;
      return { batchId, stream };
    },
    allWork: `${subject}batch.work.>`,
    work: (batchId) => `${subject}batch.work.${batchId}`,
    workReady: (batchId) => `${subject}batch.ready.${batchId}`,
    allWorkReady: `${subject}batch.ready.*`,
    projected: `${subject}batch.projected`,
    command: (name) => `${subject}batch.cmd.${name}`,
    query: (name) => `${subject}batch.query.${name}`,
    backupCommand: (name) => `${subject}backup.cmd.${name}`,
    backupQuery: (name) => `${subject}backup.query.${name}`,
    backupFactsStream: `${stream}BACKUP_FACTS`,
    allBackupFacts: `${subject}backup.facts.>`,
    backupFacts: (kind, id) => `${subject}backup.facts.${kind}.${id}`,
    downloadTicketBucket: `${stream}DOWNLOAD_TICKETS`,
    operationsStream: `${stream}OPERATION_EVENTS`,
    allOperationEvents: `${subject}operation.events.>`,
    operationEvents: (operationId) => `${subject}operation.events.${operationId}.>`,
    operationEventSubject: (operationId, channel) => `${subject}operation.events.${operationId}.${channel}`,
    operationSnapshotBucket: `${stream}OPERATION_SNAPSHOTS`,
    notificationsStream: `${stream}NOTIFICATIONS`,
    allNotifications: `${subject}notify.>`,
    notifications: (userKey) => `${subject}notify.${userKey}`,
    notifierLeaseBucket: `${stream}NOTIFIER_LEASE`,
    notifierStateBucket: `${stream}NOTIFIER_STATE`,
    webhookDeliveriesStream: `${stream}WEBHOOK_DELIVERIES`,
    allWebhookDeliveries: `${subject}webhook.deliver.>`,
    webhookDeliveries: (endpointId) => `${subject}webhook.deliver.${endpointId}`,
  };
}
