export * from './aggregate-store.js';
export type { AggregateType } from './aggregate-type.js';
export { commitId, decodeCommit, planCommits, type StoredCommit } from './commit.js';
export * from './errors.js';
export * from './event-store.js';
export * from './outcome-committer.js';
export * from './snapshot-store.js';
export * from './streams.js';
