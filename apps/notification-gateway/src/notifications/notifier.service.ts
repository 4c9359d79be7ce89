import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  BackupFact,
  BatchFact,
  type BatchProgressFact,
  type ErrorNotificationPayload,
  type Names,
  type StoredNotification,
} from '@batch/contracts';
import { isConsumerNotFound, kvLease, publishNotification, type KvLease } from '@batch/messaging';
import {
  JETSTREAM,
  JETSTREAM_MANAGER,
  LOGGER,
  NAMES,
  NATS,
  redact,
  SETTINGS,
  type Logger,
} from '@batch/platform';
import type { GatewayConfig } from '../config/gateway.config.js';
import { DedupWindows } from './dedup-windows.js';
import { ErrorReports } from './error-reports.js';
import { NOTIFICATION_STREAMS } from './notification-streams.js';
import {
  RateMeter,
  translateBackupFact,
  translateBatchError,
  translateProgress,
  type ErrorDraft,
} from './translate.js';

const NANOS_PER_MS = 1_000_000;
const CONSUMER = 'notifier';
const LEASE_KEY = 'notifier';
/** Batches whose rate and position the notifier keeps in memory, at most (the oldest forgotten first). */
const REMEMBERED_BATCHES = 50_000;
const SWEEP_EVERY_MS = 3_600_000;

/** An error told once per window: its id, and what the repeats' message says. */
interface ToldError {
  errorId: string;
  draft: ErrorDraft;
  summaries: number;
}

/** The last status change of a batch the notifier made, as NOTIFIER_STATE keeps it, with its revision there. */
interface StatusState {
  status: string;
  previous: string | null;
  /** Its notification is stored: false between the change's write and its telling. */
  told: boolean;
  revision: number;
}

/** A hash for ids that must come out the same when a fact is translated again after a restart. */
const stableId = (prefix: string, source: string) =>
  `${prefix}-${createHash('sha256').update(source).digest('hex').slice(0, 24)}`;

/**
 * Turns the facts of batches (BATCH_FACTS) and of backups, restores and bulk deletes (BACKUP_FACTS)
 * into each user's notifications on the NOTIFICATIONS stream, which every gateway replica fans out
 * to sockets and webhooks. One replica does it at a time (a lease in a KV bucket), so the
 * notifications of a user keep the order of the facts and errors are de-duplicated in one place.
 * Each fact is acked after its notifications are stored, under message ids derived from the fact:
 * a fact delivered again (the notifier stopped before its ack) is not notified twice.
 */
@Injectable()
export class Notifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private lease!: KvLease;
  private states!: KV;
  private leaseTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private running: { messages: ConsumerMessages[]; done: Promise<void> } | undefined;
  private holding = false;
  private readonly replicaId = `gateway-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly statuses = new Map<string, StatusState>();
  private readonly versions = new Map<string, number>();
  private readonly meters = new Map<string, RateMeter>();
  private readonly errors: DedupWindows<ToldError>;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(JETSTREAM) private readonly js: JetStreamClient,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    @Inject(NAMES) private readonly names: Names,
    @Inject(SETTINGS) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly reports: ErrorReports,
    @Inject(NOTIFICATION_STREAMS) _streams: true,
  ) {
    this.errors = new DedupWindows(
      config.ERROR_DEDUP_WINDOW_MS,
      (told, repeats, lastAt) =>
        void this.tellRepeats(told, repeats, lastAt).catch((error: unknown) =>
          this.logger.warn({ err: error, errorId: told.errorId }, 'telling repeated errors failed'),
        ),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    const { names, config } = this;
    const kvm = new Kvm(this.nc);
    const leases = await kvm.create(names.notifierLeaseBucket, {
      ttl: config.NOTIFIER_LEASE_MS,
      replicas: config.EVENTS_REPLICAS,
    });
    this.states = await kvm.create(names.notifierStateBucket, {
      ttl: 30 * 86_400_000,
      replicas: config.EVENTS_REPLICAS,
    });
    this.lease = kvLease(leases, this.replicaId);
    await this.holdOrFollow();
    this.leaseTimer = setInterval(
      () => void this.holdOrFollow(),
      Math.max(100, config.NOTIFIER_LEASE_MS / 3),
    );
    this.leaseTimer.unref();
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.leaseTimer);
    clearInterval(this.sweepTimer);
    await this.stopTranslating();
    this.errors.clear();
    if (this.holding) await this.lease.release(LEASE_KEY);
  }

  /** Takes or renews the lease and translates while it holds it; stops when another replica has it. */
  private async holdOrFollow(): Promise<void> {
    try {
      this.holding = await this.lease.hold(LEASE_KEY);
    } catch (error) {
      this.logger.warn({ err: error }, 'the notifier lease could not be renewed');
      this.holding = false;
    }
    if (this.holding && !this.running) {
      // What another replica did while this one did not hold the lease is in the buckets, not here.
      this.statuses.clear();
      this.versions.clear();
      await this.startTranslating();
    } else if (!this.holding && this.running) await this.stopTranslating();
  }

  private async startTranslating(): Promise<void> {
    const sources = [
      { stream: this.names.factsStream, filter: this.names.allFacts },
      { stream: this.names.backupFactsStream, filter: this.names.allBackupFacts },
    ];
    const messages = await Promise.all(sources.map((source) => this.open(source.stream, source.filter)));
    this.logger.info({ replica: this.replicaId }, 'this replica turns facts into notifications');
    const done = Promise.all(
      messages.map((source, index) => this.translateAll(sources[index]!.stream, source)),
    ).then(() => undefined);
    this.running = { messages, done };
  }

  private async stopTranslating(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    for (const messages of running.messages) messages.stop();
    await running.done;
  }

  /** The notifier's durable consumer of a facts stream: shared by the replicas, read by the lease holder. */
  private async open(stream: string, filter: string): Promise<ConsumerMessages> {
    await this.jsm.consumers.info(stream, CONSUMER).catch(async (error: unknown) => {
      if (!isConsumerNotFound(error)) throw error;
      await this.jsm.consumers.add(stream, {
        durable_name: CONSUMER,
        filter_subject: filter,
        ack_policy: AckPolicy.Explicit,
        // A fact is handled in milliseconds: one left unacked by a replica that died goes to the next soon.
        ack_wait: 5_000 * NANOS_PER_MS,
        max_ack_pending: 1_000,
        // Facts from before the first gateway are not news any more.
        deliver_policy: DeliverPolicy.New,
      });
    });
    const consumer = await this.js.consumers.get(stream, CONSUMER);
    return consumer.consume({ max_messages: 200 });
  }

  private async translateAll(stream: string, messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      try {
        await this.translate(stream, message);
        message.ack();
      } catch (error) {
        this.logger.warn(
          { err: error, stream, seq: message.seq },
          'a fact could not be notified; it comes again',
        );
        message.nak(1_000);
      }
    }
  }

  private async translate(stream: string, message: JsMsg): Promise<void> {
    const source = `${stream}:${message.seq}`;
    const raw = message.json<unknown>();
    if (stream === this.names.backupFactsStream) {
      const fact = BackupFact.safeParse(raw);
      if (!fact.success) return this.refuse(source, fact.error.message);
      const { notifications, errors } = translateBackupFact(fact.data);
      await this.publishAll(source, notifications);
      await Promise.all(errors.map((draft, index) => this.tellError(`${source}:e${index}`, draft)));
      return;
    }
    const fact = BatchFact.safeParse(raw);
    if (!fact.success) return this.refuse(source, fact.error.message);
    if (fact.data.type === 'progress') return this.progress(source, fact.data);
    await this.tellError(`${source}:e0`, translateBatchError(fact.data));
  }

  private refuse(source: string, reason: string): void {
    this.logger.warn({ source, reason }, 'a fact that is not one was skipped');
  }

  private async progress(source: string, fact: BatchProgressFact): Promise<void> {
    const { batchId } = fact;
    // Facts of one batch may come from two orchestrator replicas: an older reading is old news.
    if (fact.version < (this.versions.get(batchId) ?? 0)) return;
    this.remember(this.versions, batchId, fact.version);
    let meter = this.meters.get(batchId);
    if (!meter) this.remember(this.meters, batchId, (meter = new RateMeter()));
    const rate = meter.add(Date.parse(fact.at), fact.completed + fact.failed);
    const change = await this.statusChange(batchId, fact.status);
    const [progress, status] = redact(translateProgress(fact, change, rate));
    await publishNotification(this.js, this.names, progress!, `${source}:0`);
    if (!change || !status) return;
    await publishNotification(this.js, this.names, status, `status:${batchId}:${change.revision}`);
    await this.markTold(batchId, change);
  }

  /**
   * The status change a progress fact brings, if any, written before it is told: to NOTIFIER_STATE
   * with compare-and-set, then told under a message id of that revision, then marked told. A
   * notifier that stops in between leaves it unmarked, and the next one tells it again under the
   * same id, which the stream drops if the first was stored: each change is told once.
   */
  private async statusChange(batchId: string, status: string): Promise<StatusState | undefined> {
    try {
      const known = this.statuses.get(batchId) ?? (await this.readStatus(batchId));
      if (known?.status === status) return known.told ? undefined : known;
      const change = { status, previous: known?.status ?? null, told: false };
      const revision = known
        ? await this.states.update(batchId, JSON.stringify(change), known.revision)
        : await this.states.create(batchId, JSON.stringify(change));
      const state = { ...change, revision };
      this.remember(this.statuses, batchId, state);
      return state;
    } catch (error) {
      // Another notifier wrote meanwhile: the fact comes again and reads the state afresh.
      this.statuses.delete(batchId);
      throw error;
    }
  }

  private async markTold(batchId: string, change: StatusState): Promise<void> {
    const { status, previous } = change;
    const revision = await this.states.update(
      batchId,
      JSON.stringify({ status, previous, told: true }),
      change.revision,
    );
    this.remember(this.statuses, batchId, { status, previous, told: true, revision });
  }

  private async readStatus(batchId: string): Promise<StatusState | undefined> {
    const entry = await this.states.get(batchId);
    if (entry?.operation !== 'PUT') return undefined;
    return { ...entry.json<Omit<StatusState, 'revision'>>(), revision: entry.revision };
  }

  private remember<T>(map: Map<string, T>, key: string, value: T): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > REMEMBERED_BATCHES) map.delete(map.keys().next().value!);
  }

  private async publishAll(source: string, notifications: StoredNotification[]): Promise<void> {
    for (const [index, notification] of notifications.entries())
      await publishNotification(this.js, this.names, notification, `${source}:${index}`);
  }

  /** The first of its kind within the window is stored and told; repeats are counted for later. */
  private async tellError(source: string, unsafe: ErrorDraft): Promise<void> {
    const draft = redact(unsafe);
    const errorId = stableId('err', source);
    const told = { errorId, draft, summaries: 0 };
    if (
      !this.errors.admit(
        `${draft.userId}\u0000${draft.dedupKey}`,
        told,
        draft.occurrences,
        draft.details.occurredAt,
      )
    )
      return;
    await this.reports.insert(errorId, draft.userId, draft.details, draft.occurrences);
    await publishNotification(
      this.js,
      this.names,
      errorNotification(told, 0, draft.details.occurredAt),
      source,
    );
  }

  private async tellRepeats(told: ToldError, repeats: number, lastAt: string): Promise<void> {
    told.summaries += 1;
    await this.reports.addOccurrences(told.errorId, repeats);
    await publishNotification(
      this.js,
      this.names,
      errorNotification(told, repeats, lastAt),
      `${told.errorId}:repeats:${told.summaries}`,
    );
  }

  private async sweep(): Promise<void> {
    try {
      const swept = await this.reports.sweep(this.config.ERROR_RETENTION_DAYS);
      if (swept > 0) this.logger.info({ swept }, 'error reports past their retention removed');
    } catch (error) {
      this.logger.warn({ err: error }, 'sweeping error reports failed');
    }
  }
}

function errorNotification(
  { errorId, draft }: ToldError,
  repeatCount: number,
  occurredAt: string,
): StoredNotification {
  const { details, dedupKey, userId, topic } = draft;
  const { context } = details;
  const payload: ErrorNotificationPayload = {
    errorId,
    code: details.code,
    category: details.category,
    severity: details.severity,
    userMessage: details.userMessage,
    retryable: details.isRecoverable,
    ...(details.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: details.retryAfterSeconds }),
    dedupKey,
    repeatCount,
    ...(context.batchId ? { batchId: context.batchId } : {}),
    ...(context.itemId ? { itemId: context.itemId } : {}),
    ...(context.backupId ? { backupId: context.backupId } : {}),
    ...(context.operationId ? { operationId: context.operationId } : {}),
    occurredAt,
  };
  return { userId, topic, at: new Date().toISOString(), type: 'error', payload };
}
