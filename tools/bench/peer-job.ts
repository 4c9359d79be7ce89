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
  // One statement is one transaction: a single round trip instead of BEGIN, three statements, COMMIT.
  const { rows } = await pool.query<{ id: string }>({
    // Prepared once per connection: PostgreSQL's CPU is what limits the peer, parsing is part of it.
    name: 'peer-job',
    text: `WITH conversation AS (
       INSERT INTO conversations (id, batch_id, item_id, user_id, topic, persona, content, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (batch_id, item_id) DO NOTHING
       RETURNING id
     ), turns AS (
       INSERT INTO conversation_turns (id, conversation_id, role, content, sequence)
       SELECT t.id, c.id, t.role, t.content, t.sequence
       FROM conversation c, unnest($9::text[], $10::text[], $11::text[], $12::int[]) AS t(id, role, content, sequence)
     ), stored AS (
       -- A job retried after its commit keeps the conversation stored the first time.
       SELECT id FROM conversation
       UNION ALL SELECT id FROM conversations WHERE batch_id = $2 AND item_id = $3
     )
     UPDATE batch_items SET status = 'completed', conversation_id = (SELECT id FROM stored LIMIT 1), updated_at = $8
     WHERE batch_id = $2 AND item_id = $3 AND status = 'pending' AND attempt = 1
     RETURNING conversation_id AS id`,
    values: [
      conversationId,
      job.batchId,
      job.itemId,
      job.userId,
      storableText(job.topic),
      storableText(generated.persona),
      storableText(content),
      new Date(),
      generated.turns.map(() => randomUUID()),
      generated.turns.map((turn) => turn.role),
      generated.turns.map((turn) => storableText(turn.content)),
      generated.turns.map((_turn, sequence) => sequence + 1),
    ],
  });
  return rows[0]?.id ?? conversationId;
}
