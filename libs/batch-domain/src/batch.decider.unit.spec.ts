import { describe, expect, it } from '@jest/globals';
import { MAX_CONFIG_BYTES } from '@batch/contracts';
import { decide } from './batch.decider.js';
import { fold } from './batch.evolve.js';
import { initialState } from './batch.state.js';
import { progressOf } from './batch.queries.js';
import {
  BATCH_ID,
  completedItem,
  created,
  fact,
  failedItem,
  given,
  itemsOf,
  metadata,
  paused,
  started,
  USER_ID,
} from './batch.spec-helpers.js';

const create = (count: number, autoStart: boolean, totalItems?: number) => ({
  type: 'CreateBatch' as const,
  data: {
    batchId: BATCH_ID,
    userId: USER_ID,
    name: 'n',
    config: { provider: 'template' as const },
    items: itemsOf(count),
    autoStart,
    totalItems,
  },
});

describe('when nothing exists', () => {
  it('creates a batch with its items and starts it', () =>
    given([])
      .when(create(2, true))
      .then([
        {
          type: 'BatchCreated',
          data: {
            batchId: BATCH_ID,
            userId: USER_ID,
            name: 'n',
            config: { provider: 'template' },
            totalItems: 2,
          },
        },
        { type: 'ItemsAdded', data: { items: itemsOf(2) } },
        { type: 'BatchStarted', data: {} },
      ]));

  it('waits for the announced items before starting', () => {
    const events = decide({ ...create(2, true, 5), metadata: metadata() }, initialState());
    expect(events.map((event) => event.type)).toEqual(['BatchCreated', 'ItemsAdded']);
  });

  it('splits a large item list into several ItemsAdded events', () => {
    const events = decide({ ...create(50_000, false), metadata: metadata() }, initialState());
    const added = events.filter((event) => event.type === 'ItemsAdded');
    expect(added.length).toBeGreaterThan(1);
    expect(progressOf(fold(events, initialState())).total).toBe(50_000);
  });

  it('refuses items without a value for a variable of its templates, naming the item and the variable', () => {
    const command = create(3, true);
    const templated = {
      ...command,
      data: {
        ...command.data,
        config: {
          provider: 'template' as const,
          userPromptTemplate: '{{topic}} for {{parameters.audience}}',
        },
        items: [
          { id: 'a', topic: 't', parameters: { audience: 'kids' } },
          { id: 'b', topic: 't', parameters: { tone: 'dry' } },
        ],
      },
      metadata: metadata(),
    };
    expect(() => decide(templated, initialState())).toThrow(
      'item b has no value for {{parameters.audience}} used in userPromptTemplate',
    );
  });

  it('refuses any other command', () =>
    given([])
      .when({ type: 'PauseBatch', data: { reason: 'x' } })
      .thenThrows('not_found'));
});

describe('when pending', () => {
  it('refuses a second creation', () =>
    given(created(1)).when(create(1, false)).thenThrows('already_exists'));

  it('adds items', () =>
    given(created(1))
      .when({ type: 'AddItems', data: { items: [{ id: 'extra', topic: 't' }] } })
      .then([{ type: 'ItemsAdded', data: { items: [{ id: 'extra', topic: 't' }] } }]));

  it("checks added items against the batch's templates", () => {
    const [batchCreated, ...rest] = created(1);
    const state = fold(
      [
        {
          ...batchCreated!,
          data: {
            ...batchCreated!.data,
            config: { provider: 'template', systemPrompt: '{{parameters.tone}}' },
          },
        },
        ...rest,
      ] as typeof rest,
      initialState(),
    );
    const add = (parameters?: Record<string, unknown>) => ({
      type: 'AddItems' as const,
      data: { items: [{ id: 'extra', topic: 't', ...(parameters ? { parameters } : {}) }] },
      metadata: metadata(),
    });
    expect(() => decide(add(), state)).toThrow(
      'item extra has no value for {{parameters.tone}} used in systemPrompt',
    );
    expect(decide(add({ tone: 'calm' }), state).map((event) => event.type)).toEqual(['ItemsAdded']);
  });

  it('refuses an item id it already holds', () =>
    given(created(2))
      .when({ type: 'AddItems', data: { items: [{ id: 'item-1', topic: 't' }] } })
      .thenThrows('validation'));

  it('starts', () =>
    given(created(2))
      .when({ type: 'StartBatch', data: {} })
      .then([{ type: 'BatchStarted', data: {} }]));

  it('refuses to start before the announced items arrived', () =>
    given([
      fact('BatchCreated', {
        batchId: BATCH_ID,
        userId: USER_ID,
        name: '',
        config: { provider: 'template' },
        totalItems: 3,
      }),
      fact('ItemsAdded', { items: itemsOf(2) }),
    ])
      .when({ type: 'StartBatch', data: {} })
      .thenThrows('invalid_state'));

  it('refuses to start with no items', () =>
    given(created(0)).when({ type: 'StartBatch', data: {} }).thenThrows('validation'));

  it('refuses to pause', () =>
    given(created(1))
      .when({ type: 'PauseBatch', data: { reason: 'x' } })
      .thenThrows('invalid_state'));

  it('is invisible to another user', () =>
    given(created(1))
      .when({ type: 'StartBatch', data: {}, metadata: metadata('someone-else') })
      .thenThrows('not_found'));

  it('can be discarded', () =>
    given(created(1))
      .when({ type: 'DiscardBatch', data: {} })
      .then([{ type: 'BatchDiscarded', data: {} }]));
});

describe('when running', () => {
  it('pauses', () =>
    given([...created(3), started()])
      .when({ type: 'PauseBatch', data: { reason: 'lunch' } })
      .then([{ type: 'BatchPaused', data: { reason: 'lunch' } }]));

  it('refuses to resume', () =>
    given([...created(3), started()])
      .when({ type: 'ResumeBatch', data: {} })
      .thenThrows('invalid_state'));

  it('refuses to be discarded', () =>
    given([...created(3), started()])
      .when({ type: 'DiscardBatch', data: {} })
      .thenThrows('invalid_state'));

  it('cancels', () =>
    given([...created(3), started()])
      .when({ type: 'CancelBatch', data: {} })
      .then([{ type: 'BatchCancelled', data: {} }]));

  it('refuses to complete while items are pending', () =>
    given([...created(2), started(), completedItem(0)])
      .when({ type: 'CompleteBatch', data: {} })
      .thenThrows('invalid_state'));

  it('completes when every item is settled and one succeeded', () =>
    given([...created(2), started(), completedItem(0), failedItem(1)])
      .when({ type: 'CompleteBatch', data: {} })
      .then([{ type: 'BatchCompleted', data: {} }]));

  it('fails when every item failed', () =>
    given([...created(2), started(), failedItem(0), failedItem(1)])
      .when({ type: 'CompleteBatch', data: {} })
      .then([{ type: 'BatchFailed', data: { reason: 'all 2 items failed' } }]));

  it('refuses to retry with nothing failed', () =>
    given([...created(2), started(), completedItem(0)])
      .when({ type: 'RetryFailedItems', data: {} })
      .thenThrows('nothing_failed'));

  it('requeues exactly the failed items', () =>
    given([...created(3), started(), failedItem(0), completedItem(1), failedItem(2)])
      .when({ type: 'RetryFailedItems', data: {} })
      .then([{ type: 'FailedItemsRequeued', data: { itemIds: ['item-0', 'item-2'] } }]));
});

describe('when paused', () => {
  const history = () => [...created(3), started(), completedItem(0), paused()];

  it('resumes with config overrides', () =>
    given(history())
      .when({ type: 'ResumeBatch', data: { configOverrides: { temperature: 0.2 } } })
      .then([{ type: 'BatchResumed', data: { configOverrides: { temperature: 0.2 } } }]));

  it('refuses overrides that would make the config larger than a work message can carry', () =>
    given(history())
      .when({ type: 'ResumeBatch', data: { configOverrides: { note: 'n'.repeat(MAX_CONFIG_BYTES) } } })
      .thenThrows('validation'));

  it('refuses to pause again', () =>
    given(history())
      .when({ type: 'PauseBatch', data: { reason: 'x' } })
      .thenThrows('invalid_state'));

  it('can be discarded', () =>
    given(history())
      .when({ type: 'DiscardBatch', data: {} })
      .then([{ type: 'BatchDiscarded', data: {} }]));

  it('applies the overrides on resume', () => {
    const resumed = fold(
      [...history(), fact('BatchResumed', { configOverrides: { model: 'gpt-x' } })],
      initialState(),
    );
    expect(resumed.status === 'running' && resumed.config).toEqual({ provider: 'template', model: 'gpt-x' });
  });
});

describe('when completed', () => {
  const history = () => [
    ...created(2),
    started(),
    completedItem(0),
    failedItem(1),
    fact('BatchCompleted', {}),
  ];

  it('refuses to pause', () =>
    given(history())
      .when({ type: 'PauseBatch', data: { reason: 'x' } })
      .thenThrows('invalid_state'));

  it('refuses to cancel', () =>
    given(history()).when({ type: 'CancelBatch', data: {} }).thenThrows('invalid_state'));

  it('reopens to retry the failed items, in their next attempt', () => {
    const state = fold([...history(), fact('FailedItemsRequeued', { itemIds: ['item-1'] })], initialState());
    expect(state.status).toBe('running');
    expect(progressOf(state)).toMatchObject({ pending: 1, completed: 1, failed: 0 });
    const late = fold(
      [...history(), fact('FailedItemsRequeued', { itemIds: ['item-1'] }), failedItem(1, 1)],
      initialState(),
    );
    expect(progressOf(late).pending).toBe(1);
  });
});

describe('when discarded', () => {
  it('is gone', () =>
    given([...created(1), fact('BatchDiscarded', {})])
      .when({ type: 'StartBatch', data: {} })
      .thenThrows('not_found'));
});
