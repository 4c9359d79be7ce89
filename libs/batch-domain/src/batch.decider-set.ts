import type { BatchEvent } from '@batch/contracts';
import type { BatchCommand } from './batch.commands.js';
import { decide } from './batch.decider.js';
import { evolve } from './batch.evolve.js';
import { fromSnapshot, toSnapshot, type BatchSnapshot } from './batch.snapshot.js';
import { initialState, type BatchState } from './batch.state.js';

/** The Batch aggregate's pure functions together, as an event store takes them. */
export const batchDecider: {
  initialState(): BatchState;
  evolve(state: BatchState, event: BatchEvent): BatchState;
  decide(command: BatchCommand, state: BatchState): BatchEvent[];
  toSnapshot(state: BatchState): BatchSnapshot | undefined;
  fromSnapshot(snapshot: BatchSnapshot): BatchState;
} = { initialState, evolve, decide, toSnapshot, fromSnapshot };

/** Snapshot weight of an event: items added count one each, so a large batch is snapshotted once created. */
export const eventWeight = (event: BatchEvent): number =>
  event.type === 'ItemsAdded' ? event.data.items.length : 1;
