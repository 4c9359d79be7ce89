import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isItemOutcome, type BatchEvent } from '@batch/contracts';
import type { BatchCommand } from './batch.commands.js';
import { decide } from './batch.decider.js';
import { evolve, fold } from './batch.evolve.js';
import { planDispatch, progressOf } from './batch.queries.js';
import { fromSnapshot, toSnapshot } from './batch.snapshot.js';
import { initialState, type BatchState } from './batch.state.js';
import { isDomainError } from './domain-error.js';
import { idsWithStatus } from './item-table.js';
import { BATCH_ID, fact, itemsOf, metadata, USER_ID } from './batch.spec-helpers.js';

const RUNS = { numRuns: 300 };

type Step =
  | { kind: 'command'; command: Exclude<BatchCommand['type'], 'CreateBatch' | 'AddItems'> }
  | { kind: 'outcome'; item: number; outcome: 'completed' | 'failed'; stale: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('command' as const),
      command: fc.constantFrom(
        'StartBatch',
        'PauseBatch',
        'ResumeBatch',
        'CancelBatch',
        'RetryFailedItems',
        'CompleteBatch',
        'DiscardBatch',
      ) as fc.Arbitrary<Exclude<BatchCommand['type'], 'CreateBatch' | 'AddItems'>>,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('outcome' as const),
      item: fc.nat(),
      outcome: fc.constantFrom('completed' as const, 'failed' as const),
      stale: fc.boolean(),
    }),
  },
);

const commandData = (type: Step & { kind: 'command' }): BatchCommand =>
  ({
    type: type.command,
    data: type.command === 'PauseBatch' ? { reason: 'p' } : {},
    metadata: metadata(),
  }) as BatchCommand;

/**
 * A valid history: a created batch, commands the decider accepted, and item outcomes as workers
 * report them at least once: for items in their current (or an earlier) attempt, settled or not.
 */
const history: fc.Arbitrary<BatchEvent[]> = fc
  .record({
    size: fc.integer({ min: 0, max: 12 }),
    autoStart: fc.boolean(),
    steps: fc.array(step, { maxLength: 60 }),
  })
  .map(({ size, autoStart, steps }) => {
    const events = decide(
      {
        type: 'CreateBatch',
        data: {
          batchId: BATCH_ID,
          userId: USER_ID,
          name: '',
          config: { provider: 'template' },
          items: itemsOf(size),
          autoStart,
        },
        metadata: metadata(),
      },
      initialState(),
    );
    let state = fold(events, initialState());
    const append = (next: BatchEvent[]) => {
      events.push(...next);
      state = fold(next, state);
    };
    for (const next of steps) {
      if (next.kind === 'command') {
        try {
          append(decide(commandData(next), state));
        } catch (error) {
          if (!isDomainError(error)) throw error;
        }
        continue;
      }
      if (
        state.status === 'empty' ||
        state.items.size === 0 ||
        !['running', 'paused', 'cancelled'].includes(state.status)
      )
        continue;
      const index = next.item % state.items.size;
      const attempt = Math.max(1, state.items.attempt[index]! - (next.stale ? 1 : 0));
      append([
        next.outcome === 'completed'
          ? fact('ItemCompleted', {
              itemId: `item-${index}`,
              conversationId: `c-${index}-${attempt}`,
              attempt,
              durationMs: 1,
            })
          : fact('ItemFailed', {
              itemId: `item-${index}`,
              attempt,
              error: { code: 'e', category: 'permanent', message: 'm', retryable: false },
            }),
      ]);
    }
    return events;
  });

const replay = (events: BatchEvent[]): BatchState => fold(events, initialState());
const image = (state: BatchState): string => JSON.stringify(toSnapshot(state) ?? state);
const prefixes = function* (events: BatchEvent[]) {
  let state = initialState();
  for (let length = 0; ; length++) {
    yield { length, state };
    if (length === events.length) return;
    state = evolve(state, events[length]!);
  }
};

describe('the batch decider, over any valid history', () => {
  it('gives the same state when the history is replayed twice', () =>
    fc.assert(
      fc.property(history, (events) => {
        expect(image(replay(events))).toBe(image(replay(events)));
      }),
      RUNS,
    ));

  it('gives the same state from a snapshot at any point plus the events after it', () =>
    fc.assert(
      fc.property(history, fc.nat(), (events, cut) => {
        const at = cut % (events.length + 1);
        const head = replay(events.slice(0, at));
        const restored =
          head.status === 'empty' ? head : fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(head))));
        expect(image(fold(events.slice(at), restored))).toBe(image(replay(events)));
      }),
      RUNS,
    ));

  it('ignores repeated item outcomes, wherever the repeat lands', () =>
    fc.assert(
      fc.property(
        history,
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 20 }),
        (events, repeats) => {
          const outcomes = events.flatMap((event, position) => (isItemOutcome(event) ? [position] : []));
          fc.pre(outcomes.length > 0);
          const withRepeats = events.map((event) => [event]);
          for (const [pick, offset] of repeats) {
            const original = outcomes[pick % outcomes.length]!;
            const landing = original + (offset % (events.length - original));
            withRepeats[landing]!.push(events[original]!);
          }
          expect(image(replay(withRepeats.flat()))).toBe(image(replay(events)));
        },
      ),
      RUNS,
    ));

  it('keeps pending, completed and failed disjoint and together equal to all items, at every point', () =>
    fc.assert(
      fc.property(history, (events) => {
        for (const { state } of prefixes(events)) {
          if (state.status === 'empty') continue;
          const table = state.items;
          const pending = [...idsWithStatus(table, 'pending')];
          const completed = [...idsWithStatus(table, 'completed')];
          const failed = [...idsWithStatus(table, 'failed')];
          const union = new Set([...pending, ...completed, ...failed]);
          expect(union.size).toBe(pending.length + completed.length + failed.length);
          expect([...union].sort()).toEqual([...table.ids].sort());
          expect([table.pending, table.completed, table.failed]).toEqual([
            pending.length,
            completed.length,
            failed.length,
          ]);
        }
      }),
      RUNS,
    ));

  it('never plans to dispatch a settled item or one already in flight', () =>
    fc.assert(
      fc.property(history, fc.array(fc.nat(11)), fc.integer({ min: 1, max: 20 }), (events, flying, limit) => {
        const inFlight = new Set(flying.map((index) => `item-${index}`));
        for (const { state } of prefixes(events)) {
          if (state.status === 'empty') continue;
          const pending = new Set(idsWithStatus(state.items, 'pending'));
          for (const item of planDispatch(state, { inFlight, limit }).items) {
            expect(pending.has(item.id)).toBe(true);
            expect(inFlight.has(item.id)).toBe(false);
            expect(state.items.ids.at(item.index)).toBe(item.id);
            expect(item.attempt).toBe(state.items.attempt[item.index]);
          }
        }
      }),
      RUNS,
    ));

  it('dispatches exactly the pending items on resume after any prefix, from a snapshot', () =>
    fc.assert(
      fc.property(history, (events) => {
        for (const { state } of prefixes(events)) {
          if (state.status !== 'paused') continue;
          const restored = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(state))));
          const resumed = fold(
            decide({ type: 'ResumeBatch', data: {}, metadata: metadata() }, restored),
            restored,
          );
          const plan = planDispatch(resumed, { inFlight: new Set(), limit: Number.MAX_SAFE_INTEGER });
          expect(plan.items.map((item) => item.id).sort()).toEqual(
            [...idsWithStatus(state.items, 'pending')].sort(),
          );
          expect(plan.items.length).toBe(progressOf(state).pending);
        }
      }),
      RUNS,
    ));
});
