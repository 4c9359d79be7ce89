import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  evolve,
  initialState,
  itemState,
  progressOf,
  type Batch,
  type BatchState,
} from '@batch/batch-domain';
import { isItemOutcome, roundUsd, type BatchEvent, type EventOf, type ItemOutcome } from '@batch/contracts';
import { saveConversations } from '../conversations/conversation.repository.js';
import { testPersistence, type TestPersistence } from '../persistence.spec-helpers.js';
import { getBatchView } from '../queries/batch.queries.js';
import { createBatchProjector, type RefusedCommit } from './batch.projector.js';
import { logOf, scenario, USER_ID, type PlannedLog } from './batch-logs.spec-helpers.js';

let env: TestPersistence;

beforeAll(async () => {
  env = await testPersistence();
});
afterAll(() => env.close());

/**
 * What workers do before they commit: store the conversation of each completed outcome, keeping the
 * one an item already has. Answers, by event id, the conversation the outcome then names.
 */
async function storeConversations(log: PlannedLog): Promise<Map<string, string>> {
  const completed = new Map<string, EventOf<'ItemCompleted'>>();
  for (const event of log.commits.flatMap(({ events }) => events))
    if (event.type === 'ItemCompleted') completed.set(event.eventId, event);
  const outcomes = [...completed.values()];
  const saved = await saveConversations(
    env.ds,
    outcomes.map(({ batchId, occurredAt, data }) => ({
      id: data.conversationId,
      batchId,
      itemId: data.itemId,
      userId: USER_ID,
      topic: data.itemId,
      persona: 'persona',
      content: 'content',
      createdAt: occurredAt,
      turns: [],
    })),
  );
  return new Map(outcomes.map(({ eventId }, index) => [eventId, saved[index]!.conversationId]));
}

/** Appends the commits in order; answers each batch's events as the log stored them. */
async function appendAll(log: PlannedLog, conversationIds: Map<string, string>) {
  const logged = new Map(log.batchIds.map((batchId) => [batchId, [] as BatchEvent[]]));
  for (const { batchId, events, msgId } of log.commits) {
    const committed = events.map((event) =>
      event.type === 'ItemCompleted'
        ? { ...event, data: { ...event.data, conversationId: conversationIds.get(event.eventId)! } }
        : event,
    );
    const { duplicate } = await env.events.append(batchId, committed, msgId ? { msgId } : {});
    if (!duplicate) logged.get(batchId)!.push(...committed);
  }
  return logged;
}

/**
 * Runs the projector over everything appended so far; answers the commits it refused. An error it
 * would retry after (in production, a lost connection) fails the run rather than hold it up.
 */
async function project(commitsPerTransaction: number): Promise<RefusedCommit[]> {
  const refused: RefusedCommit[] = [];
  let failed!: (error: unknown) => void;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  const projector = createBatchProjector({
    ds: env.ds,
    nc: env.nats.nc,
    names: env.nats.names,
    batchSize: commitsPerTransaction,
    onRefused: (commit) => refused.push(commit),
    onError: failed,
  });
  await projector.start();
  try {
    await Promise.race([projector.caughtUp(await env.lastSeq()), failure]);
  } finally {
    await projector.stop();
  }
  return refused;
}

/** Folds a batch's log with `evolve`, noting for each item the outcome that last settled it. */
function evolveNotingSettlements(events: readonly BatchEvent[]) {
  let state: BatchState = initialState();
  const settledBy = new Map<string, ItemOutcome>();
  for (const event of events) {
    const before = isItemOutcome(event) ? itemState(state, event.data.itemId)?.status : undefined;
    state = evolve(state, event);
    if (
      isItemOutcome(event) &&
      before === 'pending' &&
      itemState(state, event.data.itemId)?.status !== 'pending'
    )
      settledBy.set(event.data.itemId, event);
  }
  if (state.status === 'empty') throw new Error('a batch of the log was never created');
  return { batch: state, settledBy };
}

function expectedCounts(batch: Batch) {
  const { total: added, completed, failed } = progressOf(batch);
  // Items announced but not added yet count as pending, as the orchestrator's view counts them.
  const total = Math.max(added, batch.declaredItems);
  return {
    status: batch.status,
    total_items: total,
    processed_count: completed,
    failed_count: failed,
    pending_count: total - completed - failed,
    prompt_tokens: batch.usage.promptTokens,
    completion_tokens: batch.usage.completionTokens,
    cost_usd: roundUsd(batch.usage.costUsd),
  };
}

/** Each item as evolve leaves it, with the conversation or error of the outcome that settled it. */
const expectedItems = (batch: Batch, settledBy: Map<string, ItemOutcome>) =>
  [...batch.items.ids].map((itemId, position) => {
    const { status, attempt } = itemState(batch, itemId)!;
    const outcome = status === 'pending' ? undefined : settledBy.get(itemId);
    return {
      item_id: itemId,
      position,
      status,
      attempt,
      conversation_id: outcome?.type === 'ItemCompleted' ? outcome.data.conversationId : null,
      error: outcome?.type === 'ItemFailed' ? outcome.data.error : null,
    };
  });

const projectedItems = (batchId: string) =>
  env.ds.query(
    `SELECT item_id, position, status, attempt, conversation_id, error
     FROM batch_items WHERE batch_id = $1 ORDER BY position`,
    [batchId],
  );

async function storedConversations(batchId: string): Promise<Map<string, string[]>> {
  const rows: { item_id: string; ids: string[] }[] = await env.ds.query(
    `SELECT item_id, array_agg(id) AS ids FROM conversations WHERE batch_id = $1 GROUP BY item_id`,
    [batchId],
  );
  return new Map(rows.map(({ item_id, ids }) => [item_id, ids]));
}

describe('the batch projection, over any log of several batches', () => {
  it('holds what evolve folds from the same log: status, counts, items and one conversation per item', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (scenario) => {
        const log = logOf(scenario, `run${++run}`);
        const logged = await appendAll(log, await storeConversations(log));
        expect(await project(scenario.commitsPerTransaction)).toEqual([]);

        for (const [batchId, events] of logged) {
          const { batch, settledBy } = evolveNotingSettlements(events);
          const view = await getBatchView(env.ds, USER_ID, batchId);
          const items = await projectedItems(batchId);
          if (batch.status === 'discarded') {
            expect(view).toBeUndefined();
            expect(items).toEqual([]);
            continue;
          }
          expect(view).toMatchObject(expectedCounts(batch));
          expect(items).toEqual(expectedItems(batch, settledBy));

          const conversations = await storedConversations(batchId);
          for (const ids of conversations.values()) expect(ids).toHaveLength(1);
          for (const item of items)
            if (item.status === 'completed')
              expect(conversations.get(item.item_id)).toEqual([item.conversation_id]);
        }
      }),
      { numRuns: 100 },
    );
  });
});
