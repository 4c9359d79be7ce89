import { describe, expect, it } from '@jest/globals';
import { mayStart, type StartChecks } from './may-start.js';

const checks = (overrides: Partial<StartChecks> = {}): StartChecks => ({
  stopping: () => false,
  connected: () => true,
  stillWanted: async () => true,
  heldBack: async () => false,
  untilLookAgain: async () => {},
  ...overrides,
});

describe('whether the next item may start', () => {
  it('starts while queued, running, connected and not stopping', async () => {
    expect(await mayStart(checks()).mayStart()).toBe(true);
  });

  it('does not start once the message is purged, the worker stops, or NATS is cut off', async () => {
    expect(await mayStart(checks({ stillWanted: async () => false })).mayStart()).toBe(false);
    expect(await mayStart(checks({ stopping: () => true })).mayStart()).toBe(false);
    expect(await mayStart(checks({ connected: () => false })).mayStart()).toBe(false);
  });

  it('waits while the batch holds the message back, parked once for all its items, then starts', async () => {
    let looks = 0;
    const parked: boolean[] = [];
    const { mayStart: start } = mayStart(
      checks({ heldBack: async () => ++looks < 6, parked: (state) => parked.push(state) }),
    );
    expect(await Promise.all([start(), start()])).toEqual([true, true]);
    expect(looks).toBe(7);
    expect(parked).toEqual([true, false]);
  });

  it('answers at once whether an item may start now, held back or not', async () => {
    expect(await mayStart(checks()).canStartNow()).toBe(true);
    expect(await mayStart(checks({ heldBack: async () => true })).canStartNow()).toBe(false);
    expect(await mayStart(checks({ stillWanted: async () => false })).canStartNow()).toBe(false);
  });

  it('gives up waiting once the message is purged', async () => {
    let queuedLooks = 0;
    const { mayStart: start } = mayStart(
      checks({ heldBack: async () => true, stillWanted: async () => ++queuedLooks < 3 }),
    );
    expect(await start()).toBe(false);
    expect(queuedLooks).toBe(3);
  });
});
