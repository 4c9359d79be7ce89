import { Inject, Injectable } from '@nestjs/common';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { BackupFact, Names } from '@batch/contracts';
import { publishBackupFact } from '@batch/messaging';
import { JETSTREAM, LOGGER, NAMES, type Logger } from '@batch/platform';

/** Progress facts at most this often per backup, restore or operation; its end always. */
const PROGRESS_EVERY_MS = 250;

type FactInput = Omit<BackupFact, 'at'>;

/**
 * Publishes what backups, restores and bulk deletes tell their users. Progress is coalesced to a
 * few facts a second; a lost fact is logged, never fails the work it reports on.
 */
@Injectable()
export class FactPublisher {
  private readonly lastProgress = new Map<string, number>();

  constructor(
    @Inject(JETSTREAM) private readonly js: JetStreamClient,
    @Inject(NAMES) private readonly names: Names,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A progress fact, unless one of the same work went out less than PROGRESS_EVERY_MS ago. */
  progress(fact: FactInput): void {
    const key = `${fact.kind}:${fact.id}`;
    const now = Date.now();
    if (now - (this.lastProgress.get(key) ?? 0) < PROGRESS_EVERY_MS) return;
    this.lastProgress.set(key, now);
    void this.send(fact);
  }

  /** A change of status or the end: always published. */
  async status(fact: FactInput): Promise<void> {
    this.lastProgress.delete(`${fact.kind}:${fact.id}`);
    await this.send(fact);
  }

  private async send(fact: FactInput): Promise<void> {
    await publishBackupFact(this.js, this.names, { ...fact, at: new Date().toISOString() }).catch(
      (error: unknown) =>
        this.logger.warn({ err: error, kind: fact.kind, id: fact.id }, 'fact not published'),
    );
  }
}
