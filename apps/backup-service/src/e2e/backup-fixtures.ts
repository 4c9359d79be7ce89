import { createHash } from 'node:crypto';
import pg from 'pg';
import type { BackupFact } from '@batch/contracts';
import { s3Client, startS3rver, type Platform, type RunningServer } from '@batch/testing';

interface SourceConversation {
  id: string;
  content: string;
  persona: string;
  conversation_turns: { id: string; content: string; role: string; sequence: number }[];
}

/** The conversations as the v1.0 format carries them, read from the tables, in id order. */
export async function sourceConversations(db: pg.Client, ids: string[]): Promise<SourceConversation[]> {
  const { rows } = await db.query<SourceConversation>(
    `SELECT c.id, c.content, c.persona,
            (SELECT json_agg(json_build_object('id', t.id, 'content', t.content, 'role', t.role,
                     'sequence', t.sequence) ORDER BY t.sequence)
               FROM conversation_turns t WHERE t.conversation_id = c.id) AS conversation_turns
       FROM conversations c WHERE c.id = ANY($1) ORDER BY c.id`,
    [ids],
  );
  return rows;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Peak resident memory of a process so far (VmHWM), in bytes. */
export interface BackupFactWatch {
  facts: BackupFact[];
  /** Resolves with the first fact (already seen or to come) that matches. */
  until(matches: (fact: BackupFact) => boolean, timeoutMs?: number): Promise<BackupFact>;
  close(): void;
}

/** Facts of backups, restores and operations as they are published (core subscription). */
export function watchBackupFacts(platform: Platform): BackupFactWatch {
  const facts: BackupFact[] = [];
  const waiting: { matches: (fact: BackupFact) => boolean; resolve: (fact: BackupFact) => void }[] = [];
  const subscription = platform.nats.nc.subscribe(platform.nats.names.allBackupFacts, {
    callback: (error, message) => {
      if (error) return;
      const fact = message.json<BackupFact>();
      facts.push(fact);
      for (const waiter of waiting.filter((candidate) => candidate.matches(fact))) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(fact);
      }
    },
  });
  return {
    facts,
    until: (matches, timeoutMs = 60_000) => {
      const seen = facts.find(matches);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no such fact in time')), timeoutMs);
        waiting.push({
          matches,
          resolve: (fact) => {
            clearTimeout(timer);
            resolve(fact);
          },
        });
      });
    },
    close: () => subscription.unsubscribe(),
  };
}

/**
 * Replaces the platform's backup service by one on a private s3rver (which a test may stop: the
 * shared one serves every test file), with the bucket made and `extra` settings.
 */
export async function backupOnPrivateS3(
  platform: Platform,
  bucket: string,
  extra: Record<string, string> = {},
): Promise<RunningServer> {
  const s3 = await startS3rver();
  await s3Client(s3.url, s3.accessKey, s3.secretKey).makeBucket(bucket);
  await platform.backup!.stop();
  await platform.restartBackup({
    S3_ENDPOINT: s3.url,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_BUCKET: bucket,
    ...extra,
  });
  return s3;
}
