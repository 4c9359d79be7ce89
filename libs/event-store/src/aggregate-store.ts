import { streamOf, type BatchEvent } from '@batch/contracts';
import { planCommits } from './commit.js';
import { isConcurrencyError } from './errors.js';
import type { EventStore } from './event-store.js';
import { keyedLock } from './keyed-lock.js';
import type { SnapshotStore, SnapshotVersion } from './snapshot-store.js';

/** The aggregate's pure functions, as the domain defines them. */
export interface Decider<S, C> {
  initialState(): S;
  evolve(state: S, event: BatchEvent): S;
  decide(command: C, state: S): BatchEvent[];
  /** A JSON-able image of the state, or undefined when there is nothing worth keeping. */
  toSnapshot(state: S): unknown;
  fromSnapshot(snapshot: never): S;
}

export interface Loaded<S> {
  state: S;
  /** The last commit folded in, and the last lifecycle commit (the expected sequence of the next decision). */
  version: SnapshotVersion;
  /** Weight of the events folded since the snapshot (events, unless a `weigh` says otherwise). */
  eventsSinceSnapshot: number;
}

export interface Handled {
  events: BatchEvent[];
  version: SnapshotVersion;
}

export interface AggregateStore<S, C> {
  /** Latest snapshot + the events after it, kept warm in memory between calls. */
  load(batchId: string): Promise<Loaded<S>>;
  /** Load, decide, append with the expected lifecycle sequence; on a conflict, reload and decide again. */
  handle(batchId: string, command: C): Promise<Handled>;
  /** Writes a snapshot now (whatever the event count); answers its compressed size. */
  snapshot(batchId: string): Promise<{ bytes: number; chunks: number }>;
  /** Drops the batch from memory and removes its snapshot (a batch that ended). */
  forget(batchId: string): Promise<void>;
  /**
   * Removes the batch's events too (cleanup), between two calls on it, never while one is reading
   * its log: afterwards the batch does not exist.
   */
  remove(batchId: string): Promise<void>;
}

export interface AggregateStoreOptions<S, C> {
  events: EventStore;
  snapshots: SnapshotStore;
  decider: Decider<S, C>;
  /** A snapshot is taken once this many events (by weight) were folded since the last one. */
  snapshotEvery?: number;
  /** How much one event counts towards `snapshotEvery` (default 1): a chunk of 10,000 items weighs more than a pause. */
  weigh?: (event: BatchEvent) => number;
  maxConflictRetries?: number;
  /** Batches kept warm in memory; the least recently used is dropped first. */
  cacheSize?: number;
  /** Reports snapshots taken in the background (every `snapshotEvery` events). */
  onSnapshot?: (batchId: string, saved: { bytes: number; chunks: number }) => void;
  onSnapshotError?: (batchId: string, error: unknown) => void;
}

/**
 * The one command handler of the platform. States are cached and caught up from the log before
 * every use; a batch's calls run one at a time (its item table is folded in place).
 */
export function createAggregateStore<S, C>(options: AggregateStoreOptions<S, C>): AggregateStore<S, C> {
  const { events, snapshots, decider } = options;
  const snapshotEvery = options.snapshotEvery ?? 10_000;
  const maxConflictRetries = options.maxConflictRetries ?? 5;
  const cacheSize = options.cacheSize ?? 32;
  const weigh = options.weigh ?? (() => 1);
  const cache = new Map<string, Loaded<S>>();
  const withLock = keyedLock();

  async function fromStore(batchId: string): Promise<Loaded<S>> {
    const stored = await snapshots.load<never>(batchId);
    return stored
      ? {
          state: decider.fromSnapshot(stored.state),
          version: { seq: stored.seq, lifecycleSeq: stored.lifecycleSeq },
          eventsSinceSnapshot: 0,
        }
      : { state: decider.initialState(), version: { seq: 0, lifecycleSeq: 0 }, eventsSinceSnapshot: 0 };
  }

  async function saveSnapshot(
    batchId: string,
    loaded: Loaded<S>,
  ): Promise<{ bytes: number; chunks: number }> {
    const image = decider.toSnapshot(loaded.state);
    if (image === undefined) return { bytes: 0, chunks: 0 };
    const json = JSON.stringify(image);
    loaded.eventsSinceSnapshot = 0;
    return snapshots.save(batchId, { ...loaded.version }, json);
  }

  async function loadLocked(batchId: string): Promise<Loaded<S>> {
    const loaded = cache.get(batchId) ?? (await fromStore(batchId));
    cache.delete(batchId);
    cache.set(batchId, loaded);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    for await (const commit of events.read(batchId, loaded.version.seq + 1)) {
      for (const event of commit.events) {
        loaded.state = decider.evolve(loaded.state, event);
        loaded.eventsSinceSnapshot += weigh(event);
      }
      loaded.version.seq = commit.seq;
      if (commit.stream === 'lifecycle') loaded.version.lifecycleSeq = commit.seq;
    }
    if (loaded.eventsSinceSnapshot >= snapshotEvery)
      saveSnapshot(batchId, loaded).then(
        (saved) => options.onSnapshot?.(batchId, saved),
        (error: unknown) => options.onSnapshotError?.(batchId, error),
      );
    return loaded;
  }

  async function appendDecision(
    batchId: string,
    decided: BatchEvent[],
    lifecycleSeq: number,
  ): Promise<SnapshotVersion> {
    const version = { seq: 0, lifecycleSeq };
    let pendingItems: Promise<{ seq: number }>[] = [];
    const settleItems = async () => {
      for (const { seq } of await Promise.all(pendingItems)) version.seq = Math.max(version.seq, seq);
      pendingItems = [];
    };
    for (const commit of planCommits(decided, events.maxCommitBytes)) {
      if (streamOf(commit[0]!) === 'items') {
        pendingItems.push(events.append(batchId, commit));
        continue;
      }
      await settleItems();
      const { seq } = await events.append(batchId, commit, { expectedLastSeq: version.lifecycleSeq });
      version.seq = Math.max(version.seq, seq);
      version.lifecycleSeq = seq;
    }
    await settleItems();
    return version;
  }

  return {
    load: (batchId) => withLock(batchId, () => loadLocked(batchId)),

    handle: (batchId, command) =>
      withLock(batchId, async () => {
        for (let attempt = 0; ; attempt++) {
          const loaded = await loadLocked(batchId);
          const decided = decider.decide(command, loaded.state);
          if (decided.length === 0) return { events: decided, version: { ...loaded.version } };
          try {
            return {
              events: decided,
              version: await appendDecision(batchId, decided, loaded.version.lifecycleSeq),
            };
          } catch (error) {
            if (!isConcurrencyError(error) || attempt >= maxConflictRetries) throw error;
            // Load from the store again: the log may also have lost events (a cleanup elsewhere).
            cache.delete(batchId);
          }
        }
      }),

    snapshot: (batchId) => withLock(batchId, async () => saveSnapshot(batchId, await loadLocked(batchId))),

    forget: (batchId) =>
      withLock(batchId, async () => {
        cache.delete(batchId);
        await snapshots.remove(batchId);
      }),
    remove: (batchId) =>
      withLock(batchId, async () => {
        cache.delete(batchId);
        await events.purge(batchId);
        await snapshots.remove(batchId);
      }),
  };
}
