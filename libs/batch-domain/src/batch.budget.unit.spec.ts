import { describe, expect, it } from '@jest/globals';
import type { BatchEvent } from '@batch/contracts';
import { decide } from './batch.decider.js';
import { fold } from './batch.evolve.js';
import { fromSnapshot, toSnapshot } from './batch.snapshot.js';
import {
  BATCH_ID,
  fact,
  failedItem,
  given,
  itemsOf,
  metadata,
  paused,
  started,
  USER_ID,
} from './batch.spec-helpers.js';
import { initialState, type Batch } from './batch.state.js';

const created = (count: number, maxCostUsd?: number): BatchEvent[] => [
  fact('BatchCreated', {
    batchId: BATCH_ID,
    userId: USER_ID,
    name: 'budget',
    config: { provider: 'openai', model: 'gpt-4o-mini', ...(maxCostUsd === undefined ? {} : { maxCostUsd }) },
    totalItems: count,
  }),
  fact('ItemsAdded', { items: itemsOf(count) }),
];

/** An item completed by a call that read 10 and wrote 5 tokens and cost `costUsd`. */
const usageOf = (state: unknown) => (state as Batch).usage;

const paid = (index: number, costUsd?: number, attempt = 1) =>
  fact('ItemCompleted', {
    itemId: `item-${index}`,
    conversationId: `conv-${index}`,
    attempt,
    durationMs: 5,
    model: 'gpt-4o-mini',
    usage: { promptTokens: 10, completionTokens: 5 },
    ...(costUsd === undefined ? {} : { costUsd }),
  });

const enforce = { type: 'EnforceBudget' as const, data: {} };
const resume = (maxCostUsd?: number) => ({
  type: 'ResumeBatch' as const,
  data: maxCostUsd === undefined ? {} : { configOverrides: { maxCostUsd } },
});

describe('the spend of a batch', () => {
  it('adds the tokens and cost of each completed item once, whatever repeats', () => {
    const state = fold(
      [...created(4), started(), paid(0, 0.25), paid(0, 0.25), paid(1, 0.5), failedItem(2), paid(3)],
      initialState(),
    ) as Batch;
    expect(usageOf(state)).toEqual({ promptTokens: 30, completionTokens: 15, costUsd: 0.75 });
  });

  it('ignores the usage of an outcome that settles nothing (another attempt, an unknown item)', () => {
    const state = fold([...created(2), started(), paid(0, 1, 2), paid(7, 1), paid(1, 0.5)], initialState());
    expect(usageOf(state)).toEqual({ promptTokens: 10, completionTokens: 5, costUsd: 0.5 });
  });

  it('survives a snapshot, and a snapshot from before usage was counted restores as zero', () => {
    const state = fold([...created(3), started(), paid(0, 0.1), paid(1, 0.2)], initialState());
    const restored = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(state))));
    expect(usageOf(restored)).toEqual(usageOf(state));
    const old = toSnapshot(state)!;
    delete (old.batch as { usage?: unknown }).usage;
    expect(usageOf(fromSnapshot(old))).toEqual({ promptTokens: 0, completionTokens: 0, costUsd: 0 });
  });
});

describe('when running with a budget', () => {
  it('pauses once the spend reaches the budget, saying how much of how much', () =>
    given([...created(5, 0.5), started(), paid(0, 0.25), paid(1, 0.25)])
      .when(enforce)
      .then([{ type: 'BatchPaused', data: { reason: 'budget_exhausted: spent $0.50 of $0.50' } }]));

  it('pauses past the budget too', () =>
    given([...created(5, 0.01), started(), paid(0, 0.0123)])
      .when(enforce)
      .then([{ type: 'BatchPaused', data: { reason: 'budget_exhausted: spent $0.0123 of $0.01' } }]));

  it('goes on below the budget', () =>
    given([...created(5, 0.5), started(), paid(0, 0.25), paid(1, 0.2)])
      .when(enforce)
      .thenThrows('invalid_state'));

  it('goes on without a budget, whatever it spent', () =>
    given([...created(5), started(), paid(0, 1_000)])
      .when(enforce)
      .thenThrows('invalid_state'));

  it('does not pause with nothing left to do: the batch completes instead', () =>
    given([...created(2, 0.1), started(), paid(0, 0.1), paid(1, 0.1)])
      .when(enforce)
      .thenThrows('invalid_state'));
});

describe('when paused at the budget', () => {
  const atBudget = () => [
    ...created(5, 0.5),
    started(),
    paid(0, 0.3),
    paid(1, 0.3),
    paused('budget_exhausted'),
  ];

  it('refuses a resume that keeps the budget, naming it', () => {
    given(atBudget()).when(resume()).thenThrows('validation');
    given(atBudget()).when(resume(0.6)).thenThrows('validation');
  });

  it('resumes with a higher budget', () =>
    given(atBudget())
      .when(resume(1))
      .then([{ type: 'BatchResumed', data: { configOverrides: { maxCostUsd: 1 } } }]));

  it('refuses another pause for the budget', () =>
    given(atBudget()).when(enforce).thenThrows('invalid_state'));
});

describe('the budget refusal message', () => {
  it('says what was spent of what, and what to do', () => {
    const state = fold([...created(5, 0.5), started(), paid(0, 0.6), paused()], initialState());
    expect(() => decide({ ...resume(), metadata: metadata() }, state)).toThrow(
      'budget_exhausted: spent $0.60 of $0.50; resume with a higher configOverrides.maxCostUsd',
    );
  });
});
