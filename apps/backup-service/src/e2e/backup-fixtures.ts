import { createHash } from 'node:crypto';
import pg from 'pg';
import type { BackupFact } from '@batch/contracts';
import { s3Client, startS3rver, type Platform, type RunningServer } from '@batch/testing';

/** A client on the platform's test schema, for what a test arranges or checks in the tables directly. */
export async function schemaClient(platform: Platform): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: platform.database.url,
    options: `-c search_path=${platform.database.schema}`,
  });
  await client.connect();
  return client;
}

/**
 * Conversations `<prefix>-1 ... <prefix>-<count>` of `userId`, five turns each, written straight
 * into the tables (as a finished batch leaves them); each turn's content is `turnBytes` long.
 */
export async function seedConversations(
  db: pg.Client,
  {
    userId,
    prefix,
    count,
    turnBytes = 40,
  }: { userId: string; prefix: string; count: number; turnBytes?: number },
): Promise<string[]> {
  await db.query(
    `INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at)
     SELECT $2 || '-' || g, $2 || '-batch', 'item-' || g, $1, 'topic ' || g, 'Expert',
            'conversation ' || g, now() - (g || ' milliseconds')::interval
       FROM generate_series(1, $3::int) g`,
    [userId, prefix, count],
  );
  await db.query(
    `INSERT INTO conversation_turns (id, conversation_id, role, content, sequence)
     SELECT $1 || '-' || g || '-t' || s, $1 || '-' || g, CASE WHEN s % 2 = 1 THEN 'user' ELSE 'assistant' END,
            rpad(md5(g::text || '/' || s::text), $3::int, ' turn text'), s
       FROM generate_series(1, $2::int) g, generate_series(1, 5) s`,
    [prefix, count, turnBytes],
  );
  return Array.from({ length: count }, (_, index) => `${prefix}-${index + 1}`);
}

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
