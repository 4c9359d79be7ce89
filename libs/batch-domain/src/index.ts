export { batchAggregate } from './batch.aggregate.js';
export { batchDecider, eventWeight } from './batch.decider-set.js';
export * from './batch.commands.js';
export { decide } from './batch.decider.js';
export * from './batch.events.js';
export { evolve, fold } from './batch.evolve.js';
export * from './batch.queries.js';
export * from './batch.snapshot.js';
export {
  exists,
  initialState,
  type Batch,
  type BatchUsage,
  type BatchLifecycle,
  type BatchState,
  type EmptyBatch,
} from './batch.state.js';
export * from './domain-error.js';
export { ItemIds } from './item-ids.js';
export { idsWithStatus, statusAt, type ItemTable } from './item-table.js';
