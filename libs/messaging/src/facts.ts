import { StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { BackupFact, BatchFact, Names } from '@batch/contracts';
import { ensureStream } from './jetstream.js';

/** How long facts are kept for a client that reconnects (the notifications replay from them). */
const FACTS_MAX_AGE_MS = 24 * 3600_000;
const NANOS_PER_MS = 1_000_000;

const factsStream = (name: string, subjects: string[], replicas: number) => ({
  name,
  subjects,
  storage: StorageType.File,
  num_replicas: replicas,
  max_age: FACTS_MAX_AGE_MS * NANOS_PER_MS,
});

/** Creates the facts stream, or brings it to this config (the orchestrator, with its replicas). */
export const ensureFactsStream = (jsm: JetStreamManager, names: Names, replicas: number) =>
  ensureStream(jsm, factsStream(names.factsStream, [names.allFacts], replicas));

/** The same for backups, restores and bulk deletes (the backup service). */
export const ensureBackupFactsStream = (jsm: JetStreamManager, names: Names, replicas: number) =>
  ensureStream(jsm, factsStream(names.backupFactsStream, [names.allBackupFacts], replicas));

/** Publishes a batch's fact on its subject, stored until it ages out. */
export async function publishFact(js: JetStreamClient, names: Names, fact: BatchFact): Promise<void> {
  await js.publish(names.facts(fact.batchId), JSON.stringify(fact));
}

/** Publishes a backup's, restore's or bulk delete's fact on its subject. */
export async function publishBackupFact(js: JetStreamClient, names: Names, fact: BackupFact): Promise<void> {
  await js.publish(names.backupFacts(fact.kind, fact.id), JSON.stringify(fact));
}
