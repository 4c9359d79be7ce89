import pg from 'pg';
import type { Platform } from './platform.js';

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
 * into the tables (as a finished batch leaves them, in `<prefix>-batch` unless told); each turn's
 * content is `turnBytes` long.
 */
export async function seedConversations(
  db: pg.Client,
  {
    userId,
    prefix,
    count,
    turnBytes = 40,
    batchId = `${prefix}-batch`,
  }: { userId: string; prefix: string; count: number; turnBytes?: number; batchId?: string },
): Promise<string[]> {
  await db.query(
    `INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at)
     SELECT $2 || '-' || g, $4, 'item-' || g, $1, 'topic ' || g, 'Expert',
            'conversation ' || g, now() - (g || ' milliseconds')::interval
       FROM generate_series(1, $3::int) g`,
    [userId, prefix, count, batchId],
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
