import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { BatchConfig, storableText } from '@batch/contracts';
import type { WorkItemSpec } from '@batch/messaging';
import { templateProvider } from '../../apps/generation-worker/src/providers/template.provider.js';

/** One BullMQ job of the peer bench: one item of a batch, as our work messages carry it. */
export interface PeerJobData {
  batchId: string;
  userId: string;
  itemId: string;
  index: number;
  topic: string;
}

/** The engine bench's batch config (`{provider: 'template'}`) with the defaults our worker sees. */
const config = BatchConfig.parse({ provider: 'template' });

/**
 * What our engine writes to PostgreSQL for one item, done per job the way a BullMQ worker would:
 * the template provider's conversation (our worker's own function), the conversation row and its
 * five turns, and the item's `batch_items` row marked completed, all in one transaction. Our
 * worker stores a few milliseconds' worth of replies per transaction and the orchestrator's
 * projector settles runs of outcomes (and the batch's counters) per statement instead.
 */
export async function runPeerJob(pool: pg.Pool, job: PeerJobData): Promise<string> {
  const item: WorkItemSpec = { id: job.itemId, index: job.index, attempt: 1, topic: job.topic };
  const generated = await templateProvider.generate(item, config);
  const conversationId = randomUUID();
  const content = generated.turns.map((turn) => `${turn.role}: ${turn.content}`).join('\n');
  const now = new Date();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (batch_id, item_id) DO NOTHING
       RETURNING id`,
      [
        conversationId,
        job.batchId,
        job.itemId,
        job.userId,
        storableText(job.topic),
        storableText(generated.persona),
        storableText(content),
        now,
      ],
    );
    // A job retried after its transaction committed keeps the conversation stored the first time.
    const storedId =
      inserted.rows[0]?.id ??
      (
        await client.query<{ id: string }>(
          'SELECT id FROM conversations WHERE batch_id = $1 AND item_id = $2',
          [job.batchId, job.itemId],
        )
      ).rows[0]!.id;
    if (inserted.rows.length > 0)
      await client.query(
        `INSERT INTO conversation_turns (id, conversation_id, role, content, sequence)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])`,
        [
          generated.turns.map(() => randomUUID()),
          generated.turns.map(() => conversationId),
          generated.turns.map((turn) => turn.role),
          generated.turns.map((turn) => storableText(turn.content)),
          generated.turns.map((_turn, sequence) => sequence + 1),
        ],
      );
    await client.query(
      `UPDATE batch_items SET status = 'completed', conversation_id = $3, updated_at = $4
       WHERE batch_id = $1 AND item_id = $2 AND status = 'pending' AND attempt = 1`,
      [job.batchId, job.itemId, storedId, now],
    );
    await client.query('COMMIT');
    return storedId;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
