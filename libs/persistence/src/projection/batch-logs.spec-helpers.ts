import fc from 'fast-check';
import {
  decide,
  fold,
  idsWithStatus,
  initialState,
  isDomainError,
  itemState,
  type BatchCommand,
  type BatchState,
} from '@batch/batch-domain';
import { streamOf, type BatchEvent, type ItemOutcome, type ItemSpec } from '@batch/contracts';
import { planCommits } from '@batch/event-store';

export const USER_ID = 'user-1';

type LifecycleCommand = Exclude<BatchCommand['type'], 'CreateBatch'>;

/**
 * An outcome a worker reports. It names a pending item (work in flight), any item of the batch (a
 * repeat, often) or one the batch never had; in the item's attempt, or the one before it (a late
 * report from before a retry), or the one after it.
 */
interface ReportedOutcome {
  target: 'pending' | 'any' | 'unknown';
  item: number;
  completed: boolean;
  attemptShift: -1 | 0 | 1;
}

type Step =
  | { kind: 'command'; batch: number; command: LifecycleCommand }
  /** One worker commit: the outcomes it had together. */
  | { kind: 'outcomes'; batch: number; outcomes: ReportedOutcome[] }
  /** An earlier item commit comes again: within JetStream's duplicate window (same id) or after it. */
  | { kind: 'again'; pick: number; sameId: boolean };

export interface Scenario {
  /** Batches created first; `later` of their items come in an AddItems command. */
  batches: { items: number; later: number; autoStart: boolean }[];
  steps: Step[];
  /** Commits the projector applies per transaction. */
  commitsPerTransaction: number;
}

const weighted = <T>(...choices: [weight: number, value: T][]): fc.Arbitrary<T> =>
  fc.oneof(...choices.map(([weight, value]) => ({ weight, arbitrary: fc.constant(value) })));

const outcome: fc.Arbitrary<ReportedOutcome> = fc.record({
  target: weighted<ReportedOutcome['target']>([6, 'pending'], [3, 'any'], [1, 'unknown']),
  item: fc.nat(),
  completed: fc.boolean(),
  attemptShift: weighted<ReportedOutcome['attemptShift']>([6, 0], [2, -1], [1, 1]),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('command' as const),
      batch: fc.nat(),
      command: weighted<LifecycleCommand>(
        [1, 'AddItems'],
        [2, 'StartBatch'],
        [1, 'PauseBatch'],
        [1, 'ResumeBatch'],
        [1, 'CancelBatch'],
        [3, 'RetryFailedItems'],
        [2, 'CompleteBatch'],
        [1, 'DiscardBatch'],
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('outcomes' as const),
      batch: fc.nat(),
      outcomes: fc.array(outcome, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('again' as const), pick: fc.nat(), sameId: fc.boolean() }),
  },
);

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  batches: fc.array(
    fc.record({
      items: fc.integer({ min: 1, max: 5 }),
      later: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 2 })),
      autoStart: weighted([3, true], [1, false]),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  steps: fc.array(step, { maxLength: 40, size: 'max' }),
  commitsPerTransaction: fc.integer({ min: 1, max: 8 }),
});

/** One message to append; `msgId` overrides the id the event store derives from the events. */
export interface PlannedCommit {
  batchId: string;
  events: BatchEvent[];
  msgId?: string;
}

export interface PlannedLog {
  batchIds: string[];
  commits: PlannedCommit[];
}

const itemId = (index: number) => `item-${index}`;
const itemsFrom = (from: number, count: number): ItemSpec[] =>
  Array.from({ length: count }, (_, offset) => ({
    id: itemId(from + offset),
    topic: `topic ${from + offset}`,
  }));

/**
 * The commits a scenario makes, for batches named `<prefix>-b<n>`: lifecycle commits are what
 * `decide` accepts (a refused command adds nothing); outcome commits are for started batches only,
 * as workers report; a repeated commit copies an earlier item commit.
 */
export function logOf({ batches, steps }: Scenario, prefix: string): PlannedLog {
  const batchIds = batches.map((_, index) => `${prefix}-b${index}`);
  const states: BatchState[] = batches.map(() => initialState());
  const commits: PlannedCommit[] = [];
  let eventCount = 0;
  let tick = 0;
  const now = () => new Date(Date.UTC(2026, 10, 23, 10, 0, tick)).toISOString();
  const newEventId = () => `${prefix}-e${++eventCount}`;
  const metadata = () => ({ now: now(), newEventId });
  const append = (batch: number, events: BatchEvent[], msgId?: string) => {
    states[batch] = fold(events, states[batch]!);
    for (const commit of planCommits({ channelOf: streamOf }, events, Number.POSITIVE_INFINITY))
      commits.push({ batchId: batchIds[batch]!, events: commit, ...(msgId ? { msgId } : {}) });
  };
  const tryDecide = (batch: number, command: BatchCommand) => {
    try {
      append(batch, decide(command, states[batch]!));
    } catch (error) {
      if (!isDomainError(error)) throw error;
    }
  };

  batches.forEach(({ items, later, autoStart }, batch) =>
    tryDecide(batch, {
      type: 'CreateBatch',
      data: {
        batchId: batchIds[batch]!,
        userId: USER_ID,
        name: batchIds[batch]!,
        config: { provider: 'template' },
        items: itemsFrom(0, items),
        totalItems: items + later,
        autoStart,
      },
      metadata: metadata(),
    }),
  );
  for (const next of steps) {
    tick++;
    if (next.kind === 'again') {
      const itemCommits = commits.filter(({ events }) => streamOf(events[0]!) === 'items');
      if (itemCommits.length === 0) continue;
      const original = itemCommits[next.pick % itemCommits.length]!;
      const batch = batchIds.indexOf(original.batchId);
      // Within the window JetStream drops it: the log, and so the generator's view, stays as it is.
      if (next.sameId) commits.push(original);
      else append(batch, original.events, `${prefix}-again-${tick}`);
      continue;
    }
    const batch = next.batch % batches.length;
    const state = states[batch]!;
    if (next.kind === 'command') {
      const { items, later } = batches[batch]!;
      const data =
        next.command === 'AddItems'
          ? { items: itemsFrom(items, later) }
          : next.command === 'PauseBatch'
            ? { reason: 'paused' }
            : {};
      tryDecide(batch, { type: next.command, data, metadata: metadata() } as BatchCommand);
      continue;
    }
    // Workers only report on a batch that was started: its every item is in.
    if (state.status === 'empty' || state.startedAt === undefined) continue;
    const pending = [...idsWithStatus(state.items, 'pending')];
    const pick = ({ target, item }: ReportedOutcome) =>
      target === 'unknown'
        ? 'never-added'
        : target === 'pending' && pending.length > 0
          ? pending[item % pending.length]!
          : state.items.ids.at(item % state.items.size)!;
    append(
      batch,
      next.outcomes.map((reported) => {
        const id = pick(reported);
        const attempt = Math.max(1, (itemState(state, id)?.attempt ?? 1) + reported.attemptShift);
        return outcomeEvent(batchIds[batch]!, newEventId(), now(), {
          itemId: id,
          attempt,
          completed: reported.completed,
        });
      }),
    );
  }
  return { batchIds, commits };
}

/** Tokens that differ from one outcome to the next, so that counting an outcome twice (or the wrong one) shows. */
const tokensOf = (eventId: string): number =>
  [...eventId].reduce((sum, char, index) => sum + char.charCodeAt(0) * (index + 1), 0) % 997;

/**
 * An outcome as a worker commits it; its event id doubles as the conversation id it proposes. A
 * completion's cost is a multiple of 1/1024, which sums exactly in any order.
 */
function outcomeEvent(
  batchId: string,
  eventId: string,
  occurredAt: string,
  { itemId, attempt, completed }: { itemId: string; attempt: number; completed: boolean },
): ItemOutcome {
  const envelope = { eventId, batchId, occurredAt, schemaVersion: 1 as const };
  return completed
    ? {
        ...envelope,
        type: 'ItemCompleted',
        data: {
          itemId,
          conversationId: eventId,
          attempt,
          durationMs: 1,
          usage: { promptTokens: tokensOf(eventId), completionTokens: tokensOf(`${eventId}+`) },
          costUsd: tokensOf(eventId) / 1024,
        },
      }
    : {
        ...envelope,
        type: 'ItemFailed',
        data: {
          itemId,
          attempt,
          error: { code: 'provider_error', category: 'temporary', message: eventId, retryable: true },
        },
      };
}
